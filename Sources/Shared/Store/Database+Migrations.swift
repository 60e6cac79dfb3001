import Foundation

/// One numbered schema step. Migrations are applied in order, each in its own transaction, and recorded
/// in `grille_migrations` together with `PRAGMA user_version`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Why a database file cannot be opened as a Grille database.
public enum SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file was written by a newer Grille whose schema this program does not know.
    case newerSchema(path: String, found: Int, supported: Int)
    /// The file belongs to another kind of Grille database (agent vs server) or another program.
    case wrongApplication(path: String, found: String)

    public var description: String {
        switch self {
        case .newerSchema(let path, let found, let supported):
            "Le fichier \(path) a été créé par une version plus récente de Grille (schéma \(found), cette version connaît le schéma \(supported)). Mettez Grille à jour ; le fichier n'a pas été modifié."
        case .wrongApplication(let path, let found):
            "Le fichier \(path) n'est pas une base de données de ce programme (application « \(found) »). Vérifiez le chemin indiqué."
        }
    }
}

extension Database {
    /// The schema version recorded in the file (`PRAGMA user_version`).
    public func schemaVersion() throws(DatabaseError) -> Int {
        Int(try scalarInt("PRAGMA user_version") ?? 0)
    }

    /// Applies the migrations the file lacks. A file from a newer schema, or one stamped for another
    /// application, is refused before anything is written.
    public func migrate(application: String, migrations: [Migration]) throws {
        precondition(migrations.map(\.version) == Array(1...migrations.count), "migrations must be numbered 1…n")
        let supported = migrations.count
        let current = try schemaVersion()
        if current > supported {
            throw SchemaError.newerSchema(path: path, found: current, supported: supported)
        }
        if current > 0 {
            let recorded = try scalarString("SELECT value FROM grille_meta WHERE key = 'application'")
            if let recorded, recorded != application {
                throw SchemaError.wrongApplication(path: path, found: recorded)
            }
        } else {
            let tables = try scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0
            if tables > 0 {
                throw SchemaError.wrongApplication(path: path, found: "inconnue")
            }
        }
        for migration in migrations where migration.version > current {
            try write {
                // Re-read inside the write lock: another process may have migrated meanwhile.
                let now = try schemaVersion()
                guard now < migration.version else { return }
                if migration.version == 1 {
                    try execute("""
                        CREATE TABLE grille_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
                        CREATE TABLE grille_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT;
                        """)
                    try run("INSERT INTO grille_meta (key, value) VALUES ('application', ?)", application)
                }
                try execute(migration.sql)
                try run("INSERT INTO grille_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        migration.version, migration.name, ISO8601DateFormatter().string(from: Date()))
                try execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}

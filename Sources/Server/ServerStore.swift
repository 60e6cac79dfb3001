import Foundation
import Shared

/// The academy server's data: the event log with server sequence numbers, the materialised state, the
/// roster (materialised from roster events), devices, enrollment codes, controls for devices and the
/// quarantine. One SQLite file in WAL mode with `synchronous=FULL` (the server acknowledges writes to
/// other machines), plus the receipt key in a separate file created at init (`<db>.key`, mode 0600).
///
/// Not Sendable: `ServerCore` owns it on one serial queue.
final class ServerStore {
    static let application = "grille-server"

    let db: Database
    let path: String
    let receiptKey: [UInt8]
    let receiptSigner: Receipt.Signer
    let clock: any WallClock
    let catalog: TemplateCatalog
    var maxSkewMilliseconds = SyncProtocol.defaultMaxSkewMilliseconds
    /// The roster as the merged roster events describe it; refreshed after every roster change.
    private(set) var roster: Roster

    static func keyPath(for path: String) -> String { path + ".key" }

    /// Creates the database of a new academy. Refuses an existing initialised file.
    static func initialise(path: String, academy: String, timezone: String, clock: any WallClock = SystemWallClock()) throws -> ServerStore {
        guard TimeZone(identifier: timezone) != nil else {
            throw ServerError.user("Fuseau horaire inconnu « \(timezone) » (par exemple Europe/Paris, America/Cayenne, Indian/Reunion).")
        }
        let trimmed = academy.trimmingWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw ServerError.user("Le nom de l'académie est vide ou trop long.")
        }
        if FileManager.default.fileExists(atPath: path), (try? Database(path: path).schemaVersion()) ?? 0 > 0 {
            throw ServerError.user("La base « \(path) » existe déjà : rien n'a été modifié.")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let keyPath = keyPath(for: path)
        if !FileManager.default.fileExists(atPath: keyPath) {
            let key = Hex.encode(SecureRandom.bytes(32)) + "\n"
            guard FileManager.default.createFile(atPath: keyPath, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ServerError.user("Impossible d'écrire la clé des reçus « \(keyPath) » : vérifiez les droits du dossier.")
            }
        }
        let store = try ServerStore(path: path, clock: clock, creating: true)
        try store.db.write {
            try store.setMeta("academy", trimmed)
            try store.setMeta("timezone", timezone)
            try store.setMeta("epoch", SecureRandom.hex(8))
            try store.setMeta("created_at", String(clock.nowMilliseconds()))
            try store.writeServerEvents([
                FieldKey(entity: "academy/settings", field: "name"): .string(trimmed),
                FieldKey(entity: "academy/settings", field: "timezone"): .string(timezone),
            ], by: "server")
        }
        return store
    }

    /// `vfs` names a registered SQLite VFS; only tests pass one (to inject I/O faults).
    init(path: String, clock: any WallClock = SystemWallClock(), creating: Bool = false, vfs: String? = nil) throws {
        if !creating && !FileManager.default.fileExists(atPath: path) {
            throw ServerError.user("Base « \(path) » introuvable : créez-la avec « grille-server init --db \(path) --academy NOM ».")
        }
        self.path = path
        self.clock = clock
        do {
            self.catalog = try TemplateCatalog.bundled()
        } catch {
            throw ServerError(500, "templates", "Modèles de grilles illisibles : \(error.description)")
        }
        guard let keyText = try? String(contentsOfFile: ServerStore.keyPath(for: path), encoding: .utf8),
              let key = Hex.decode(keyText.trimmingWhitespace()), key.count == 32 else {
            throw ServerError.user("Clé des reçus « \(ServerStore.keyPath(for: path)) » absente ou illisible : elle est créée par « grille-server init » et doit être sauvegardée avec la base.")
        }
        self.receiptKey = key
        self.receiptSigner = Receipt.Signer(key: key)
        var options = Database.Options()
        options.synchronous = .full
        options.vfs = vfs
        do {
            db = try Database(path: path, options: options)
            try db.migrate(application: ServerStore.application, migrations: ServerStore.migrations)
        } catch let error as DatabaseError {
            throw ServerStore.describe(error, path: path)
        } catch let error as SchemaError {
            throw ServerError.user(error.description)
        }
        // Deleted bytes are overwritten, so a purged session leaves nothing in free pages.
        try db.execute("PRAGMA secure_delete = ON")
        roster = Roster(establishments: [], evaluators: [], commissions: [], candidates: [], registrations: [])
        try reloadRoster()
    }

    static func describe(_ error: DatabaseError, path: String) -> ServerError {
        if error.isCorrupt {
            return ServerError(500, "corrupt", "La base « \(path) » est endommagée ou n'est pas une base Grille ; restaurez une sauvegarde.")
        }
        if error.isDiskFull || (error.isIOError && DiskSpace.isFull(nextTo: path)) {
            return ServerError(507, "storage_full", "Disque plein : rien n'a été enregistré dans « \(path) ». Libérez de la place, puis recommencez ; les données déjà enregistrées sont intactes.")
        }
        if error.isReadOnlyOrDiskFull {
            return ServerError(503, "storage", "Écriture impossible dans « \(path) » (disque plein ou droits) : rien n'a été enregistré.")
        }
        return ServerError(500, "internal", "Erreur de la base de données : \(error)")
    }

    /// The answer to an HTTP client when the database failed under a request: storage failures say what
    /// happened without the server's paths (disk full: 507; any other I/O failure, such as an fsync that
    /// failed: 503), and that nothing of the request was recorded. `path` is the database's, for the
    /// full-disk diagnosis. `nil` for other errors.
    static func describeForClient(_ error: DatabaseError, path: String) -> ServerError? {
        if error.isDiskFull || (error.isIOError && DiskSpace.isFull(nextTo: path)) {
            return ServerError(507, "storage_full", "Le disque du serveur est plein : rien de cette demande n'a été enregistré. Vos saisies restent sur votre ordinateur ; réessayez plus tard.")
        }
        if error.isIOError {
            return ServerError(503, "storage", "Le serveur n'a pas pu écrire sur son disque : rien de cette demande n'a été enregistré. Vos saisies restent sur votre ordinateur ; réessayez plus tard.")
        }
        return nil
    }

    // MARK: - Meta

    func meta(_ key: String) throws -> String? {
        try db.scalarString("SELECT value FROM meta WHERE key = ?", key)
    }

    func setMeta(_ key: String, _ value: String) throws {
        try db.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
    }

    var academy: String { (try? meta("academy")) ?? "" }
    var timezone: String { (try? meta("timezone")) ?? "Europe/Paris" }
    var epoch: String { (try? meta("epoch")) ?? "" }

    func head() throws -> Int64 {
        try db.scalarInt("SELECT coalesce(max(seq), 0) FROM events") ?? 0
    }

    // MARK: - Writing events

    /// Inserts an accepted event with the next sequence number and its receipt. The caller refreshes the
    /// state of the touched keys inside the same transaction.
    @discardableResult
    func insert(_ event: Event, scope: String, from source: String) throws -> PushAck {
        let body = event.canonicalString
        let receipt = receiptSigner.receipt(id: event.id, canonicalBytes: body.utf8)
        try Materializer.recordReferences(of: event, in: db)
        try db.run("""
            INSERT INTO events (id, entity, field, body, scope, author, device, wall, counter, receipt, received_at, received_from)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, event.id, event.entity, event.field, body, scope, event.author, event.device,
            event.hlc.wall, event.hlc.counter, receipt, clock.nowMilliseconds(), source)
        return PushAck(id: event.id, seq: db.lastInsertRowID, receipt: receipt)
    }

    /// Writes server-authored events (roster, academy settings) with the server's own clock.
    func writeServerEvents(_ writes: [FieldKey: JSONValue], by author: String) throws {
        guard !writes.isEmpty else { return }
        try db.write {
            var last = try db.queryOne("SELECT wall, counter FROM events WHERE device = 'server' ORDER BY wall DESC, counter DESC LIMIT 1")
                .map { (wall: $0.int64(0), counter: $0.int64(1)) } ?? (wall: 0, counter: 0)
            for key in writes.keys.sorted() {
                let heads = try db.scalarString("SELECT heads FROM state WHERE entity = ? AND field = ?", key.entity, key.field)
                    .flatMap { try? JSONValue.parse($0) }?.arrayValue?.compactMap(\.stringValue) ?? []
                let stamp = HybridLogicalClock.next(after: last, now: clock.nowMilliseconds(), device: "server")
                last = (stamp.wall, stamp.counter)
                let event = Event(id: SecureRandom.uuid7(milliseconds: stamp.wall), entity: key.entity, field: key.field, value: writes[key]!,
                                  hlc: stamp, author: author, prev: heads)
                try insert(event, scope: Partition.scope(of: key.entity) ?? Partition.academyScope, from: "server")
            }
            try Materializer.refresh(writes.keys, in: db)
        }
    }

    private var seenDataVersion: Int64 = -1

    /// Re-reads what other processes may have changed (`grille-server roster import` runs beside
    /// `serve`): SQLite's `data_version` changes only when another connection commits.
    ///
    /// Related SQLite documentation: https://www.sqlite.org/pragma.html#pragma_data_version
    func refreshIfChangedElsewhere() throws {
        let version = try db.scalarInt("PRAGMA data_version") ?? 0
        if version != seenDataVersion {
            seenDataVersion = version
            try reloadRoster()
        }
    }

    /// Re-reads the roster from the merged roster entities.
    func reloadRoster() throws {
        var fields: [FieldKey: JSONValue] = [:]
        try db.forEach("""
            SELECT entity, field, value FROM state
            WHERE entity LIKE 'establishment/%' OR entity LIKE 'evaluator/%' OR entity LIKE 'commission/%'
               OR entity LIKE 'candidate/%' OR entity LIKE 'registration/%'
            """) { row in
            fields[FieldKey(entity: row.string(0), field: row.string(1))] = try JSONValue.parse(Array(row.string(2).utf8))
        }
        roster = RosterEntities.roster(from: fields)
    }

    func rosterFields() throws -> [FieldKey: JSONValue] {
        RosterEntities.fields(of: roster)
    }

    /// One audit line. `session` ties the line to a session, so a purge can remove the details it names.
    func audit(_ action: String, by: String?, detail: String, session: String? = nil) throws {
        try db.run("INSERT INTO audit (at, by, action, detail, session) VALUES (?, ?, ?, ?, ?)",
                   clock.nowMilliseconds(), by ?? "", action, detail, session)
    }

    func stateHash() throws -> String {
        try Materializer.stateHash(in: db)
    }
}

@available(*, unavailable)
extension ServerStore: Sendable {}

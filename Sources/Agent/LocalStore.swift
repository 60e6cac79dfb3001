import Foundation
import Shared

/// The agent's data: one SQLite file in the data directory holding the event log (the outbox), the
/// materialised state, the roster slice and the settings (device id, identity).
///
/// Every local write appends its event, advances the persisted clock and updates the materialised state
/// in one `BEGIN IMMEDIATE` transaction, so a crash leaves either all of it or none, and two processes of
/// one device (the CLI and `serve`) never issue equal or decreasing clock stamps.
final class LocalStore {
    static let application = "grille-agent"
    static let fileName = "agent.sqlite"

    let db: Database
    let directory: String
    let clock: any WallClock
    let deviceID: String

    /// Opens (creating if needed) the store in `directory`, which is created with mode 0700. A new store
    /// takes `deviceID` when given (an `enroll --reset` keeps the device it registered), else a random one.
    init(directory: String, clock: any WallClock = SystemWallClock(), deviceID presetDeviceID: String? = nil) throws {
        self.directory = directory
        self.clock = clock
        try LocalStore.prepareDirectory(directory)
        let path = directory + "/" + LocalStore.fileName
        do {
            let db = try Database(path: path)
            // Deleted content is overwritten rather than left in free pages (a purged session must leave no
            // trace), and VACUUM's temporary copy stays in memory rather than in a temporary file.
            try db.execute("PRAGMA secure_delete = ON")
            try db.execute("PRAGMA temp_store = MEMORY")
            try db.migrate(application: LocalStore.application, migrations: LocalStore.migrations)
            self.db = db
            self.deviceID = try db.write {
                if let existing = try db.scalarString("SELECT value FROM settings WHERE key = 'device_id'") {
                    return existing
                }
                let id = presetDeviceID ?? "dev-" + SecureRandom.hex(8)
                try db.run("INSERT INTO settings (key, value) VALUES ('device_id', ?)", id)
                return id
            }
            try LocalStore.backfillScopes(db)
        } catch let error as DatabaseError {
            throw LocalStore.describe(error, path: path, file: path)
        } catch let error as SchemaError {
            throw AgentError.user(error.description)
        }
    }

    static func prepareDirectory(_ directory: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw AgentError.user("« \(directory) » existe mais n'est pas un dossier : choisissez un autre dossier de données (--data).")
            }
        } else {
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                            attributes: [.posixPermissions: 0o700])
            } catch {
                throw AgentError.user("Impossible de créer le dossier de données « \(directory) » : vérifiez les droits ou choisissez un autre dossier (--data).")
            }
        }
        // Keep the folder private even when it was created by someone else with wider rights.
        if chmod(directory, 0o700) != 0, errno != EPERM {
            throw AgentError.user("Impossible de protéger le dossier de données « \(directory) » (droits 0700).")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw AgentError.user("Le dossier de données « \(directory) » n'est pas accessible en écriture : vérifiez ses droits ou choisissez un autre dossier (--data).")
        }
    }

    /// Turns a SQLite failure into a French message that says what to do.
    /// `file` is the database's path when known, for the full-disk diagnosis (`DiskSpace`).
    static func describe(_ error: DatabaseError, path: String, file: String? = nil) -> AgentError {
        if error.isCorrupt {
            return .user("Le fichier de données « \(path) » est endommagé ou n'est pas une base Grille. Il n'a pas été modifié ; restaurez une copie de sauvegarde ou indiquez un autre dossier (--data).")
        }
        if error.isDiskFull || (error.isIOError && DiskSpace.isFull(nextTo: file ?? path)) {
            return .user("Disque plein : rien n'a été enregistré dans « \(path) » (la saisie demandée n'a pas été enregistrée). Les saisies déjà enregistrées sont intactes ; libérez de la place sur cet ordinateur, puis recommencez.")
        }
        if error.isReadOnlyOrDiskFull {
            return .user("Impossible d'écrire dans « \(path) » (disque plein ou droits insuffisants). Rien n'a été enregistré.")
        }
        if error.isBusy {
            return .user("La base « \(path) » est occupée par un autre programme Grille ; réessayez dans un instant.")
        }
        return .internalError("Erreur interne de la base de données : \(error)")
    }

    // MARK: - Settings

    func setting(_ key: String) throws -> String? {
        try db.scalarString("SELECT value FROM settings WHERE key = ?", key)
    }

    func setSetting(_ key: String, _ value: String?) throws {
        try db.write { try setInTransaction(key, value) }
    }

    // MARK: - Writing events

    /// One field write requested by the user.
    struct Write {
        let entity: String
        let field: String
        let value: JSONValue
    }

    /// Appends one event per write, in one transaction, each with `prev` = the field's current heads.
    @discardableResult
    func append(_ writes: [Write], author: String) throws -> [Event] {
        try db.write {
            var events: [Event] = []
            for write in writes {
                let key = FieldKey(entity: write.entity, field: write.field)
                let stamp = try tick()
                let event = Event(id: SecureRandom.uuid7(milliseconds: stamp.wall), entity: write.entity, field: write.field,
                                  value: write.value, hlc: stamp, author: author, prev: try heads(of: key))
                try insert(event, origin: "local", syncState: "pending")
                try Materializer.refresh([key], in: db)
                events.append(event)
            }
            return events
        }
    }

    /// Applies events received from elsewhere (the server, a test, a simulation). Known ids are skipped.
    /// Returns how many were new.
    @discardableResult
    func applyRemote(_ events: [Event]) throws -> Int {
        try db.write {
            var touched = Set<FieldKey>()
            var inserted = 0
            for event in events {
                if try db.scalarInt("SELECT 1 FROM events WHERE id = ?", event.id) != nil { continue }
                try insert(event, origin: "remote", syncState: "remote")
                touched.insert(event.key)
                inserted += 1
            }
            try Materializer.refresh(touched, in: db)
            return inserted
        }
    }

    /// The next clock stamp: above every stamp this device issued or saw, whatever the wall clock does.
    /// The wall part is the system clock corrected by the offset measured against the server's clock.
    func tick() throws -> HybridLogicalClock {
        let row = try db.queryOne("SELECT wall, counter FROM clock WHERE id = 1")
        let last = (wall: row?.int64(0) ?? 0, counter: row?.int64(1) ?? 0)
        let offset = Int64(try setting(SyncKey.clockOffset) ?? "") ?? 0
        let stamp = HybridLogicalClock.next(after: last, now: clock.nowMilliseconds() + offset, device: deviceID)
        try advanceClock(to: stamp)
        return stamp
    }

    func advanceClock(to stamp: HybridLogicalClock) throws {
        try db.run("""
            INSERT INTO clock (id, wall, counter) VALUES (1, ?1, ?2)
            ON CONFLICT (id) DO UPDATE SET wall = ?1, counter = ?2
            WHERE ?1 > clock.wall OR (?1 = clock.wall AND ?2 > clock.counter)
            """, stamp.wall, stamp.counter)
    }

    func heads(of key: FieldKey) throws -> [String] {
        guard let text = try db.scalarString("SELECT heads FROM state WHERE entity = ? AND field = ?", key.entity, key.field) else {
            return []
        }
        return try JSONValue.parse(Array(text.utf8)).arrayValue?.compactMap(\.stringValue) ?? []
    }

    func insert(_ event: Event, origin: String, syncState: String, serverSeq: Int64? = nil, receipt: String? = nil) throws {
        try Materializer.recordReferences(of: event, in: db)
        try db.run("""
            INSERT INTO events (id, entity, field, body, wall, counter, device, author, applied, origin, sync_state,
                                server_seq, receipt, recorded_at, scope)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
            """, event.id, event.entity, event.field, event.canonicalString, event.hlc.wall, event.hlc.counter,
            event.device, event.author, origin, syncState, serverSeq, receipt, clock.nowMilliseconds(),
            Partition.scope(of: event.entity) ?? "")
        try advanceClock(to: event.hlc)
    }

    /// Fills `events.scope` for rows written before schema 2 (NULL until computed).
    static func backfillScopes(_ db: Database) throws {
        guard try db.scalarInt("SELECT 1 FROM events WHERE scope IS NULL LIMIT 1") != nil else { return }
        try db.write {
            for row in try db.query("SELECT seqno, entity FROM events WHERE scope IS NULL") {
                try db.run("UPDATE events SET scope = ? WHERE seqno = ?", Partition.scope(of: row.string(1)) ?? "", row.int64(0))
            }
        }
    }

    // MARK: - Reading

    func rebuild() throws {
        try Materializer.rebuild(in: db)
    }

    func stateHash() throws -> String {
        try Materializer.stateHash(in: db)
    }

    /// Every event in the log, in the order they were recorded here.
    func log() throws -> [(event: Event, origin: String, syncState: String)] {
        try db.query("SELECT body, origin, sync_state FROM events ORDER BY rowid").map { row in
            (try Event(bytes: Array(row.string(0).utf8)), row.string(1), row.string(2))
        }
    }
}

@available(*, unavailable)
extension LocalStore: Sendable {}

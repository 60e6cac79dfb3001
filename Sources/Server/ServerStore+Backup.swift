import Foundation
import Shared

extension ServerStore {
    var journal: ServerJournal { ServerJournal(databasePath: path) }

    /// What `verify` reports about a database file.
    struct Verification: Sendable {
        let problems: [String]
        let events: Int64
        let head: Int64
        let stateHash: String
        let epoch: String
        let schema: Int
    }

    /// Checks a database file (a backup or the live one) without changing it.
    static func verify(path: String) throws -> Verification {
        guard FileManager.default.fileExists(atPath: path) else { throw ServerError.user("Fichier introuvable « \(path) ».") }
        var options = Database.Options()
        options.readOnly = true
        do {
            let db = try Database(path: path, options: options)
            let problems = try db.integrityCheck()
            guard try db.scalarString("SELECT value FROM grille_meta WHERE key = 'application'") == application else {
                throw ServerError.user("« \(path) » n'est pas une base grille-server.")
            }
            return Verification(problems: problems,
                                events: try db.scalarInt("SELECT count(*) FROM events") ?? 0,
                                head: try db.scalarInt("SELECT coalesce(max(seq), 0) FROM events") ?? 0,
                                stateHash: try Materializer.stateHash(in: db),
                                epoch: try db.scalarString("SELECT value FROM meta WHERE key = 'epoch'") ?? "",
                                schema: try db.schemaVersion())
        } catch let error as DatabaseError {
            throw describe(error, path: path)
        }
    }

    /// Online backup while serving: one consistent snapshot; writes continue meanwhile.
    func backup(to target: String) throws {
        guard !FileManager.default.fileExists(atPath: target) else {
            throw ServerError.user("« \(target) » existe déjà : choisissez un nouveau nom de sauvegarde.")
        }
        do { try db.backup(to: target) } catch {
            try? FileManager.default.removeItem(atPath: target)
            throw ServerStore.describe(error, path: target)
        }
        try audit("backup", by: nil, detail: (target as NSString).lastPathComponent)
    }

    /// Replaces the live database by `backup` (the server must be stopped), gives it a new epoch so the
    /// laptops push back every event it lacks, then replays the journal so enrollments, used codes,
    /// revocations and purges made after the backup stay in force.
    static func restore(path: String, from backupPath: String, clock: any WallClock = SystemWallClock()) throws -> (replayed: Int, epoch: String) {
        let check = try verify(path: backupPath)
        guard check.problems.isEmpty else {
            throw ServerError.user("La sauvegarde « \(backupPath) » est endommagée : \(check.problems.prefix(3).joined(separator: " ; ")). Restauration refusée.")
        }
        let manager = FileManager.default
        let staging = path + ".restoring"
        try? manager.removeItem(atPath: staging)
        do { try manager.copyItem(atPath: backupPath, toPath: staging) } catch {
            throw ServerError.user("Copie de la sauvegarde impossible : \(error.localizedDescription)")
        }
        for suffix in ["-wal", "-shm"] { try? manager.removeItem(atPath: path + suffix) }
        guard rename(staging, path) == 0 else {
            throw ServerError.user("Remplacement de « \(path) » impossible (errno \(errno)).")
        }
        let store = try ServerStore(path: path, clock: clock)
        let epoch = SecureRandom.hex(8)
        var replayed = 0
        try store.db.write {
            try store.setMeta("epoch", epoch)
            for entry in try store.journal.entries() {
                if try store.replay(entry) { replayed += 1 }
            }
            try store.audit("restore", by: nil, detail: "\((backupPath as NSString).lastPathComponent) ; \(replayed) entrées du journal rejouées")
        }
        try store.reloadRoster()
        // Purges replayed above deleted rows: leave no byte of them behind.
        try store.db.checkpoint()
        try store.db.execute("VACUUM")
        try store.db.checkpoint()
        return (replayed, epoch)
    }

    /// Applies one journal entry if the database does not reflect it yet. Returns true when it changed
    /// something.
    func replay(_ entry: JSONValue) throws -> Bool {
        switch entry["type"]?.stringValue {
        case "enroll":
            guard let device = entry["device"]?.stringValue, let evaluator = entry["evaluator"]?.stringValue,
                  let tokenHash = entry["token_hash"]?.stringValue, let at = entry["at"]?.intValue else { return false }
            let known = try db.scalarString("SELECT token_hash FROM devices WHERE id = ?", device)
            guard known != tokenHash else { return false }
            try db.run("""
                INSERT INTO devices (id, evaluator, token_hash, enrolled_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, enrolled_at = excluded.enrolled_at
                """, device, evaluator, tokenHash, at)
            return true
        case "code":
            guard let hash = entry["code_hash"]?.stringValue, let evaluator = entry["evaluator"]?.stringValue,
                  let created = entry["created_at"]?.intValue, let expires = entry["expires_at"]?.intValue else { return false }
            let by = entry["by"]?.stringValue ?? ""
            try db.run("""
                INSERT INTO enrollment_codes (code_hash, evaluator, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (code_hash) DO NOTHING
                """, hash, evaluator, created, expires, by)
            return db.changes > 0
        case "code_used":
            guard let hash = entry["code_hash"]?.stringValue, let at = entry["at"]?.intValue else { return false }
            try db.run("UPDATE enrollment_codes SET used_at = ?, used_by_device = ? WHERE code_hash = ? AND used_at IS NULL",
                       at, entry["device"]?.stringValue, hash)
            return db.changes > 0
        case "revoke":
            guard let device = entry["device"]?.stringValue, let at = entry["at"]?.intValue else { return false }
            try db.run("UPDATE devices SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
                       at, entry["by"]?.stringValue, device)
            return db.changes > 0
        case "purge":
            guard let session = entry["session"]?.stringValue, try !isPurged(session) else { return false }
            try deleteSession(session, by: entry["by"]?.stringValue ?? "restore")
            return true
        default:
            return false
        }
    }
}

import CSQLite

extension Database {
    /// Copies the whole database into a new file at `path` through SQLite's online backup API, in one
    /// step: the copy is one consistent snapshot, and in WAL mode writers carry on meanwhile.
    ///
    /// Related SQLite documentation: https://www.sqlite.org/backup.html
    public func backup(to path: String) throws(DatabaseError) {
        var target: OpaquePointer?
        let rc = sqlite3_open_v2(path, &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let target else {
            let error = DatabaseError.make(target, code: rc, sql: nil)
            sqlite3_close_v2(target)
            throw error
        }
        defer { sqlite3_close_v2(target) }
        guard let backup = sqlite3_backup_init(target, "main", handle, "main") else {
            throw DatabaseError.make(target, code: sqlite3_errcode(target), sql: "backup")
        }
        var step = sqlite3_backup_step(backup, -1)
        while step == SQLITE_BUSY || step == SQLITE_LOCKED {
            sqlite3_sleep(20)
            step = sqlite3_backup_step(backup, -1)
        }
        let finish = sqlite3_backup_finish(backup)
        guard step == SQLITE_DONE, finish == SQLITE_OK else {
            throw DatabaseError.make(target, code: step == SQLITE_DONE ? finish : step, sql: "backup")
        }
        // The copy keeps no WAL of its own: one self-contained file.
        var errorMessage: UnsafeMutablePointer<CChar>?
        sqlite3_exec(target, "PRAGMA journal_mode = DELETE", nil, nil, &errorMessage)
        sqlite3_free(errorMessage)
    }
}

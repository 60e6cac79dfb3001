import Shared

/// The agent's side of a session purge (DESIGN.md, "Sync": the `purge` control; issue « Retention »): the
/// unpushed events of the session go to a file, then the session's grids and conformity records leave the
/// log and the state, and no byte of them may survive in the database file, its WAL or a journal. The
/// connection runs with `secure_delete` (freed content is overwritten), and after a purge the WAL is
/// checkpointed and truncated and the file rebuilt by `VACUUM`, outside any transaction.
///
/// Related SQLite documentation: https://www.sqlite.org/pragma.html#pragma_secure_delete,
/// https://www.sqlite.org/pragma.html#pragma_wal_checkpoint, https://www.sqlite.org/lang_vacuum.html
extension LocalStore {
    /// The event scopes (`grid/<template>/<session>/<candidate>`) of a session scope `session/<year>`
    /// present in the log; nil when `scope` is not a session scope.
    func gridScopes(ofSession scope: String) throws -> [String]? {
        let parts = scope.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts[0] == "session", GridID.isSafeComponent(parts[1]) else { return nil }
        let session = parts[1]
        return try db.query("SELECT DISTINCT scope FROM events WHERE scope LIKE 'grid/%'").map { $0.string(0) }
            .filter { $0.split(separator: "/").map(String.init).dropFirst(2).first == session }
    }

    /// Writes the local events of a session the server never accepted (pending or refused) to a dated
    /// JSON-lines file in the data directory, mode 0600. Returns the file and the count; nil when none.
    func saveUnpushedEvents(ofSession scope: String) throws -> (path: String, count: Int)? {
        guard let scopes = try gridScopes(ofSession: scope), !scopes.isEmpty else { return nil }
        let wanted = Set(scopes)
        let events = try unpushedEvents().map(\.event).filter { wanted.contains(Partition.scope(of: $0.entity) ?? "") }
        guard !events.isEmpty else { return nil }
        let session = scope.split(separator: "/").last.map(String.init) ?? "session"
        let path = datedFileName("saisies-non-envoyees-session-\(session)")
        try LocalStore.writeEventLines(events, to: path)
        return (path, events.count)
    }

    /// After a purge: moves the WAL into the file and truncates it, rebuilds the file without its free
    /// pages (`VACUUM`), then truncates the WAL again, so the purged bytes are nowhere on disk. Does nothing
    /// unless a purge asked for it; when another process holds the file, it stays asked for and the next
    /// sync retries. Returns false when it could not finish.
    @discardableResult
    func compactIfPending() throws -> Bool {
        guard try setting(SyncKey.compactionPending) != nil else { return true }
        do {
            try compact()
        } catch let error as DatabaseError where error.isBusy {
            return false
        }
        try setSetting(SyncKey.compactionPending, nil)
        // The setting's own deletion leaves a small WAL frame without any purged data.
        try db.checkpoint()
        return true
    }

    /// Checkpoint (TRUNCATE), `VACUUM`, checkpoint (TRUNCATE). Must run outside a transaction.
    func compact() throws {
        precondition(!db.isInTransaction, "VACUUM cannot run inside a transaction")
        try checkpointFully()
        try db.execute("VACUUM")
        try checkpointFully()
    }

    /// SQLITE_BUSY (the agent does not import the C module: only the SQLite layer does).
    static let sqliteBusy: Int32 = 5

    /// `PRAGMA wal_checkpoint(TRUNCATE)`, failing with SQLITE_BUSY when a reader or writer of another
    /// process kept part of the WAL alive.
    func checkpointFully() throws {
        let row = try db.queryOne("PRAGMA wal_checkpoint(TRUNCATE)")
        if let row, row.int(0) != 0 {
            throw DatabaseError(code: LocalStore.sqliteBusy, message: "checkpoint incomplete: another connection is using the database",
                                sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }
}

import CSQLite
import Foundation

/// One SQLite connection. It is deliberately not Sendable: exactly one executor (a thread, a serial
/// queue or an actor) owns it for its whole life.
///
/// Statements are prepared once per SQL text and cached. Every connection runs in WAL mode (checked by
/// reading the pragma back) with extended result codes and a busy timeout; writes go through
/// `write(_:)`, which opens `BEGIN IMMEDIATE` so two processes never deadlock upgrading a read lock.
///
/// Related SQLite documentation: https://www.sqlite.org/wal.html, https://www.sqlite.org/lang_transaction.html
public final class Database {
    public enum Synchronous: String, Sendable { case normal = "NORMAL", full = "FULL" }

    public struct Options: Sendable {
        public var busyTimeoutMilliseconds: Int32 = 5_000
        /// `NORMAL` on agents (WAL keeps the file consistent; the last transactions may roll back on power
        /// loss), `FULL` on the server, which acknowledges writes to other machines.
        public var synchronous: Synchronous = .normal
        public var readOnly = false
        /// The name of a registered SQLite VFS, `nil` for the default one. Only tests set it (a VFS that
        /// injects I/O faults, Tests/TestSupport/FaultyVFS.swift).
        public var vfs: String?
        public init() {}
    }

    let handle: OpaquePointer
    public let path: String
    private var cache: [String: Statement] = [:]
    private var transactionDepth = 0

    public init(path: String, options: Options = Options()) throws(DatabaseError) {
        var db: OpaquePointer?
        let flags = (options.readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, options.vfs)
        guard rc == SQLITE_OK, let db else {
            let error = DatabaseError.make(db, code: rc, sql: nil)
            sqlite3_close_v2(db)
            throw error
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, options.busyTimeoutMilliseconds)
        // Any statement reads the header: a file that is not a database fails here, before WAL is set.
        try execute("PRAGMA foreign_keys = ON")
        if !options.readOnly {
            let mode = try scalarString("PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw DatabaseError(code: SQLITE_ERROR, message: "journal_mode is \(mode ?? "nil"), WAL required", sql: "PRAGMA journal_mode = WAL")
            }
        }
        try execute("PRAGMA synchronous = \(options.synchronous.rawValue)")
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    // MARK: - Statements

    func statement(_ sql: String) throws(DatabaseError) -> Statement {
        if let cached = cache[sql] { return cached }
        let statement = try Statement(database: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs one or more statements without parameters or results (schema, pragmas).
    public func execute(_ sql: String) throws(DatabaseError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errorMessage)
            throw DatabaseError(code: sqlite3_extended_errcode(handle), message: message, sql: sql, systemErrno: sqlite3_system_errno(handle))
        }
    }

    /// Runs a cached statement with parameters and discards any rows.
    public func run(_ sql: String, _ values: any SQLBindable...) throws(DatabaseError) {
        try run(sql, values: values.map(\.sqlValue))
    }

    public func run(_ sql: String, values: [SQLValue]) throws(DatabaseError) {
        let statement = try statement(sql)
        try statement.reset(binding: values)
        while try statement.step() {}
        sqlite3_reset(statement.handle)
    }

    /// Runs a cached query and returns every row.
    public func query(_ sql: String, _ values: any SQLBindable...) throws(DatabaseError) -> [Row] {
        try query(sql, values: values.map(\.sqlValue))
    }

    public func query(_ sql: String, values: [SQLValue]) throws(DatabaseError) -> [Row] {
        let statement = try statement(sql)
        try statement.reset(binding: values)
        var rows: [Row] = []
        while try statement.step() { rows.append(statement.row()) }
        sqlite3_reset(statement.handle)
        return rows
    }

    /// Calls `body` for each row without collecting them.
    public func forEach(_ sql: String, values: [SQLValue] = [], _ body: (Row) throws -> Void) throws {
        let statement = try statement(sql)
        try statement.reset(binding: values)
        defer { sqlite3_reset(statement.handle) }
        while try statement.step() { try body(statement.row()) }
    }

    public func queryOne(_ sql: String, _ values: any SQLBindable...) throws(DatabaseError) -> Row? {
        try query(sql, values: values.map(\.sqlValue)).first
    }

    public func scalarInt(_ sql: String, _ values: any SQLBindable...) throws(DatabaseError) -> Int64? {
        try query(sql, values: values.map(\.sqlValue)).first?[0].int64
    }

    public func scalarString(_ sql: String, _ values: any SQLBindable...) throws(DatabaseError) -> String? {
        try query(sql, values: values.map(\.sqlValue)).first?[0].string
    }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    // MARK: - Transactions

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction, committed when it returns and rolled back when it
    /// throws. Nested calls join the outer transaction.
    public func write<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            return try body()
        }
        try execute("BEGIN IMMEDIATE")
        transactionDepth = 1
        defer { transactionDepth = 0 }
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in a deferred (read) transaction, so several queries see one snapshot.
    public func read<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 { return try body() }
        try execute("BEGIN DEFERRED")
        transactionDepth = 1
        defer { transactionDepth = 0 }
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    public var isInTransaction: Bool { transactionDepth > 0 }

    // MARK: - Maintenance

    /// `PRAGMA integrity_check`; returns the problems found (empty when the file is sound).
    public func integrityCheck() throws(DatabaseError) -> [String] {
        let rows = try query("PRAGMA integrity_check")
        let lines = rows.map { $0.string(0) }
        return lines == ["ok"] ? [] : lines
    }

    /// Copies the WAL into the main file and truncates it.
    public func checkpoint() throws(DatabaseError) {
        try execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    public func journalMode() throws(DatabaseError) -> String {
        try scalarString("PRAGMA journal_mode") ?? ""
    }
}

@available(*, unavailable)
extension Database: Sendable {}

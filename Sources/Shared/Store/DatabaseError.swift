import CSQLite

/// An error from SQLite, carrying the extended result code, SQLite's message and the SQL that failed.
///
/// Related SQLite documentation: https://www.sqlite.org/rescode.html
public struct DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Extended result code (`sqlite3_extended_errcode`).
    public let code: Int32
    public let message: String
    public let sql: String?

    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// Primary result code (the low byte of the extended code).
    public var primaryCode: Int32 { code & 0xFF }

    public var isCorrupt: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    public var isConstraint: Bool { primaryCode == SQLITE_CONSTRAINT }
    public var isReadOnlyOrDiskFull: Bool {
        primaryCode == SQLITE_READONLY || primaryCode == SQLITE_FULL || primaryCode == SQLITE_CANTOPEN
            || primaryCode == SQLITE_IOERR || primaryCode == SQLITE_PERM
    }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }

    static func make(_ handle: OpaquePointer?, code: Int32, sql: String?) -> DatabaseError {
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? code
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        return DatabaseError(code: extended, message: message, sql: sql)
    }
}

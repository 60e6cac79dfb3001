import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from SQLite, carrying the extended result code, SQLite's message and the SQL that failed.
///
/// Related SQLite documentation: https://www.sqlite.org/rescode.html
public struct DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Extended result code (`sqlite3_extended_errcode`).
    public let code: Int32
    public let message: String
    public let sql: String?
    /// The operating system's `errno` behind an I/O error (`sqlite3_system_errno`), 0 when unknown.
    public let systemErrno: Int32

    public init(code: Int32, message: String, sql: String? = nil, systemErrno: Int32 = 0) {
        self.code = code
        self.message = message
        self.sql = sql
        self.systemErrno = systemErrno
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

    /// A failed read, write or sync of a file (`SQLITE_IOERR_*`, `SQLITE_FULL`): nothing of the transaction
    /// was committed.
    public var isIOError: Bool { primaryCode == SQLITE_IOERR || primaryCode == SQLITE_FULL }

    /// No room left: `SQLITE_FULL`, or an I/O error whose cause is `ENOSPC`, `EDQUOT` or `EFBIG` (a file
    /// size limit, which SQLite reports as `SQLITE_IOERR_WRITE` when a whole write is refused).
    public var isDiskFull: Bool {
        if primaryCode == SQLITE_FULL { return true }
        return primaryCode == SQLITE_IOERR && [ENOSPC, EDQUOT, EFBIG].contains(systemErrno)
    }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if systemErrno != 0 { text += " (errno \(systemErrno))" }
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }

    static func make(_ handle: OpaquePointer?, code: Int32, sql: String?) -> DatabaseError {
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? code
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        return DatabaseError(code: extended, message: message, sql: sql, systemErrno: handle.map { sqlite3_system_errno($0) } ?? 0)
    }
}

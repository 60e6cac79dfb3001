import CSQLite

/// A prepared statement, finalized when released. Owned by its `Database` and never shared across threads.
///
/// Related SQLite documentation: https://www.sqlite.org/c3ref/stmt.html
public final class Statement {
    let handle: OpaquePointer
    let sql: String
    unowned let database: Database

    init(database: Database, sql: String) throws(DatabaseError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw DatabaseError.make(database.handle, code: rc, sql: sql)
        }
        self.handle = stmt
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and binds `values` to its parameters, in order.
    func reset(binding values: [SQLValue]) throws(DatabaseError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == values.count else {
            throw DatabaseError(code: SQLITE_RANGE, message: "expected \(expected) parameters, got \(values.count)", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
            case .real(let v): rc = sqlite3_bind_double(handle, index, v)
            case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, grille_sqlite_transient())
            case .blob(let v):
                rc = v.withUnsafeBytes { raw in
                    sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), grille_sqlite_transient())
                }
            }
            guard rc == SQLITE_OK else { throw DatabaseError.make(database.handle, code: rc, sql: sql) }
        }
    }

    /// Steps once; returns true when a row is available.
    func step() throws(DatabaseError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = DatabaseError.make(database.handle, code: rc, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    func row() -> Row {
        let count = sqlite3_column_count(handle)
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for index in 0..<count {
            switch sqlite3_column_type(handle, index) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(handle, index)))
            case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(handle, index)))
            case SQLITE_TEXT:
                let text = sqlite3_column_text(handle, index).map { String(cString: $0) } ?? ""
                values.append(.text(text))
            case SQLITE_BLOB:
                let length = Int(sqlite3_column_bytes(handle, index))
                if length > 0, let base = sqlite3_column_blob(handle, index) {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: base, count: length))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return Row(values: values)
    }
}

@available(*, unavailable)
extension Statement: Sendable {}

/// One result row, read by column index.
public struct Row: Sendable, Hashable {
    public let values: [SQLValue]
    public subscript(_ index: Int) -> SQLValue { values[index] }
    public func int(_ index: Int) -> Int { values[index].int ?? 0 }
    public func int64(_ index: Int) -> Int64 { values[index].int64 ?? 0 }
    public func string(_ index: Int) -> String { values[index].string ?? "" }
    public func optionalString(_ index: Int) -> String? { values[index].string }
    public func bytes(_ index: Int) -> [UInt8] { values[index].bytes ?? [] }
}

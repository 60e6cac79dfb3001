/// Bounds the work ``CSV/parse(_:limits:)`` accepts to do on untrusted input.
///
/// Every limit is checked while parsing, before anything larger than the limit is built, so a
/// hostile file costs at most about `maxBytes` of memory and one pass over its bytes.
public struct CSVLimits: Sendable, Hashable {
    /// Largest input accepted, in bytes (byte-order mark included).
    public var maxBytes: Int
    /// Largest number of records (a header line counts as a record; skipped blank lines do not).
    public var maxRows: Int
    /// Largest number of fields in one record.
    public var maxFieldsPerRow: Int
    /// Largest field, in bytes of UTF-8 after quotes are removed.
    public var maxFieldBytes: Int

    public init(maxBytes: Int, maxRows: Int, maxFieldsPerRow: Int, maxFieldBytes: Int) {
        self.maxBytes = maxBytes
        self.maxRows = maxRows
        self.maxFieldsPerRow = maxFieldsPerRow
        self.maxFieldBytes = maxFieldBytes
    }

    /// 50 MiB, 200,000 records, 256 fields a record, 64 KiB a field.
    public static let `default` = CSVLimits(
        maxBytes: 50 * 1024 * 1024,
        maxRows: 200_000,
        maxFieldsPerRow: 256,
        maxFieldBytes: 64 * 1024
    )
}

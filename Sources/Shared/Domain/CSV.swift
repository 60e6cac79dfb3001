/// Comma-separated values as RFC 4180 defines them, read from untrusted bytes and written for
/// exports.
///
/// Reading follows <https://www.rfc-editor.org/rfc/rfc4180> with these choices:
/// - the input must be UTF-8; a byte-order mark at the very start is dropped;
/// - records end with CRLF or LF, inside quoted fields too (a line break inside quotes is kept
///   as it was written); a CR that is not followed by LF outside quotes is an error;
/// - the last record may lack its line break;
/// - a line with no character at all is skipped wherever it is (spreadsheets and editors leave
///   them, mostly at the end); a record made of one empty field is written `""`;
/// - NUL bytes are rejected everywhere, quotes included;
/// - fields are returned exactly as written: no trimming, no type conversion.
///
/// Every error is a ``CSVError`` carrying the physical line and the field index.
public enum CSV {
    /// Parses `bytes` into records of fields.
    ///
    /// - Throws: ``CSVError`` for invalid UTF-8, a NUL byte, a quote inside an unquoted field,
    ///   characters after a closing quote, an unterminated quoted field, a lone CR, or input
    ///   beyond `limits`.
    public static func parse(_ bytes: [UInt8], limits: CSVLimits = .default) throws(CSVError) -> [[String]] {
        try records(bytes, limits: limits).map(\.fields)
    }

    /// One record and the physical line it starts on, for callers that report errors by line.
    struct Record: Sendable, Equatable {
        let line: Int
        let fields: [String]
    }

    /// Like ``parse(_:limits:)``, keeping the line each record starts on.
    static func records(_ bytes: [UInt8], limits: CSVLimits = .default) throws(CSVError) -> [Record] {
        var parser = CSVParser(bytes: bytes, limits: limits)
        return try parser.run()
    }
}

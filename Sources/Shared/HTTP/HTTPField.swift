/// Character classes and small helpers for header fields.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc9110#section-5 (fields), §5.6.2 (tokens).
enum HTTPField {
    /// `tchar` from RFC 9110 §5.6.2: the characters allowed in a method or a field name.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    static func isToken(_ bytes: some Collection<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(isTokenByte)
    }

    static func isToken(_ text: String) -> Bool {
        isToken(text.utf8)
    }

    /// `field-vchar` plus SP and HTAB: what may appear inside a field value (RFC 9110 §5.5). Excludes CR, LF,
    /// NUL, the other control characters and DEL.
    static func isValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09
    }

    /// ASCII case-insensitive comparison, as field names require.
    static func namesEqual(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        return zip(x, y).allSatisfy { lowercase($0) == lowercase($1) }
    }

    static func lowercase(_ byte: UInt8) -> UInt8 {
        (byte >= 65 && byte <= 90) ? byte + 32 : byte
    }

    /// The comma-separated elements of a list-valued field, trimmed and lowercased, empty ones dropped.
    static func listElements(_ value: String) -> [String] {
        value.split(separator: ",").compactMap { element in
            let trimmed = element.utf8.drop { isWhitespace($0) }.reversed().drop { isWhitespace($0) }.reversed()
            return trimmed.isEmpty ? nil : String(decoding: trimmed.map(lowercase), as: UTF8.self)
        }
    }
}

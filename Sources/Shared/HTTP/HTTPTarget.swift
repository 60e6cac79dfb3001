/// Decoding of the origin-form request target: the path and the `application/x-www-form-urlencoded` query.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc3986#section-2.1 (percent-encoding),
/// https://url.spec.whatwg.org/#urlencoded-parsing (query, `+` as space).
enum HTTPTarget {
    /// The percent-decoded path, or nil for a bad escape, invalid UTF-8 or a control character (`%00`, `%0A`…),
    /// which no route uses and which would only reach logs and file names.
    static func decodePath(_ raw: some Collection<UInt8>) -> String? {
        guard let bytes = percentDecode(raw, plusAsSpace: false) else { return nil }
        return validText(bytes)
    }

    /// The query's parameters; a name without `=` has an empty value; the first value of a name wins.
    /// Nil when any part has a bad escape, invalid UTF-8 or a control character.
    static func decodeQuery(_ raw: ArraySlice<UInt8>) -> [String: String]? {
        var query: [String: String] = [:]
        for pair in raw.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = pair[pair.startIndex..<(equals ?? pair.endIndex)]
            let rawValue = equals.map { pair[($0 + 1)...] } ?? []
            guard let nameBytes = percentDecode(rawName, plusAsSpace: true), let name = validText(nameBytes),
                  let valueBytes = percentDecode(rawValue, plusAsSpace: true), let value = validText(valueBytes) else {
                return nil
            }
            if query[name] == nil { query[name] = value }
        }
        return query
    }

    static func percentDecode(_ raw: some Collection<UInt8>, plusAsSpace: Bool) -> [UInt8]? {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var iterator = raw.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                decoded.append(high << 4 | low)
            case UInt8(ascii: "+") where plusAsSpace:
                decoded.append(0x20)
            default:
                decoded.append(byte)
            }
        }
        return decoded
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The bytes as a String when they are valid UTF-8 free of control characters.
    static func validText(_ bytes: [UInt8]) -> String? {
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        // Decoding replaces each invalid sequence with U+FFFD, so a round trip differs exactly when invalid.
        return text.utf8.elementsEqual(bytes) ? text : nil
    }
}

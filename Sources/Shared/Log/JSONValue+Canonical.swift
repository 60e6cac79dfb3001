extension JSONValue {
    /// The canonical encoding that event hashes, signatures and duplicate detection are computed over.
    ///
    /// Rules (docs/PROTOCOL.md repeats them):
    /// 1. The output is UTF-8 with no whitespace outside strings: no space, tab or newline anywhere.
    /// 2. `null`, `true` and `false` are written as those literals.
    /// 3. Integers are signed 64-bit and written in shortest decimal form: an optional `-`, then `0` or
    ///    digits without leading zeros; `-0`, `+`, fractions and exponents never appear.
    /// 4. Strings are written between `"` with exactly these escapes: `\"` for U+0022, `\\` for U+005C,
    ///    `\b` `\f` `\n` `\r` `\t` for U+0008 U+000C U+000A U+000D U+0009, and `\u00xx` with lowercase
    ///    hexadecimal for every other code point below U+0020. Everything else, including `/`, U+007F
    ///    and all non-ASCII code points, is written as its raw UTF-8 bytes. Text is never Unicode-normalised.
    /// 5. Arrays are `[` elements separated by `,` `]`, in their original order.
    /// 6. Objects are `{` members separated by `,` `}`, each member `"key":value`, sorted by the UTF-8
    ///    bytes of the key in unsigned lexicographic order (a key that is a prefix of another sorts first).
    ///    Keys are unique.
    public func canonicalBytes() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(128)
        Self.writeCanonical(self, into: &output)
        return output
    }

    /// The canonical encoding as a `String` (see `canonicalBytes()`).
    public var canonicalString: String {
        String(decoding: canonicalBytes(), as: UTF8.self)
    }

    /// SHA-256 of `canonicalBytes()`.
    public var sha256: [UInt8] {
        SHA256.hash(canonicalBytes())
    }

    /// Lowercase hexadecimal SHA-256 of `canonicalBytes()`.
    public var sha256Hex: String {
        Hex.encode(sha256)
    }

    /// A human-readable form: keys sorted as in the canonical form, two-space indentation, `": "` after keys,
    /// empty containers as `[]` and `{}`, no trailing newline. Not for hashing.
    public func prettyString() -> String {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        Self.writePretty(self, indent: 0, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: - Writers

    static func writeCanonical(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null, .bool, .int, .string:
            writeScalar(value, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeCanonical(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in sortedMembers(members).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                writeCanonical(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writePretty(_ value: JSONValue, indent: Int, into output: inout [UInt8]) {
        switch value {
        case .null, .bool, .int, .string:
            writeScalar(value, into: &output)
        case .array(let elements):
            guard !elements.isEmpty else { return output.append(contentsOf: "[]".utf8) }
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeNewline(indent: indent + 1, into: &output)
                writePretty(element, indent: indent + 1, into: &output)
            }
            writeNewline(indent: indent, into: &output)
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            guard !members.isEmpty else { return output.append(contentsOf: "{}".utf8) }
            output.append(UInt8(ascii: "{"))
            for (index, member) in sortedMembers(members).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeNewline(indent: indent + 1, into: &output)
                writeString(member.key, into: &output)
                output.append(contentsOf: ": ".utf8)
                writePretty(member.value, indent: indent + 1, into: &output)
            }
            writeNewline(indent: indent, into: &output)
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writeNewline(indent: Int, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    private static func writeScalar(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(true): output.append(contentsOf: "true".utf8)
        case .bool(false): output.append(contentsOf: "false".utf8)
        case .int(let number): writeInteger(number, into: &output)
        case .string(let text): writeString(text, into: &output)
        case .array, .object: preconditionFailure("writeScalar called with a container")
        }
    }

    /// Members ordered by the unsigned bytes of their UTF-8 keys (not by Swift's `String <`).
    private static func sortedMembers(_ members: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        members.sorted { utf8Precedes($0.key, $1.key) }
    }

    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { a in
            b.utf8.withContiguousStorageIfAvailable { b in
                let common = min(a.count, b.count)
                for index in 0..<common where a[index] != b[index] {
                    return a[index] < b[index]
                }
                return a.count < b.count
            }
        }
        if let fast, let result = fast { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    static func writeInteger(_ number: Int64, into output: inout [UInt8]) {
        var magnitude = number.magnitude
        if number < 0 { output.append(UInt8(ascii: "-")) }
        // At most 20 digits; produced backwards into a small stack buffer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private static let lowercaseHex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                runStart = index + 1
                output.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x0C: output.append(UInt8(ascii: "f"))
                case 0x0A: output.append(UInt8(ascii: "n"))
                case 0x0D: output.append(UInt8(ascii: "r"))
                case 0x09: output.append(UInt8(ascii: "t"))
                default:
                    output.append(contentsOf: "u00".utf8)
                    output.append(lowercaseHex[Int(byte >> 4)])
                    output.append(lowercaseHex[Int(byte & 0x0F)])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
        output.append(UInt8(ascii: "\""))
    }
}

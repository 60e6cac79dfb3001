/// The byte-level, iterative parser behind `JSONValue.parse`; one instance parses one document.
///
/// Open containers live on an explicit heap stack, so hostile nesting can exhaust `maxDepth` but never
/// the thread's stack. Grammar: https://www.rfc-editor.org/rfc/rfc8259, UTF-8: https://www.rfc-editor.org/rfc/rfc3629#section-4
struct JSONParser {
    private let input: UnsafeBufferPointer<UInt8>
    private let limits: JSONLimits
    private var position = 0
    /// Reused buffer for strings that contain escapes.
    private var scratch: [UInt8] = []
    private var stack: [Frame] = []

    /// An array or object still being filled.
    private struct Frame {
        var isObject: Bool
        var elements: [JSONValue] = []
        var members: [String: JSONValue] = [:]
        /// The key whose value is being parsed, and where it started (for duplicate-key errors).
        var key = ""
        var keyOffset = 0
    }

    init(input: UnsafeBufferPointer<UInt8>, limits: JSONLimits) {
        self.input = input
        self.limits = limits
    }

    static func tooLarge(_ limits: JSONLimits) -> JSONParseError {
        JSONParseError(offset: limits.maxBytes, message: "document is larger than the limit of \(limits.maxBytes) bytes")
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        guard input.count <= limits.maxBytes else { throw Self.tooLarge(limits) }
        if input.count >= 3 && input[0] == 0xEF && input[1] == 0xBB && input[2] == 0xBF {
            throw fail(0, "a UTF-8 byte order mark is not allowed")
        }
        skipWhitespace()
        guard position < input.count else {
            throw fail(position, input.isEmpty ? "empty document" : "document holds only whitespace")
        }
        let value = try parseValue()
        skipWhitespace()
        guard position == input.count else { throw fail(position, "unexpected data after the JSON value") }
        return value
    }

    // MARK: - Structure

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        nextValue: while true {
            guard position < input.count else { throw fail(position, "unexpected end of input, expected a value") }
            var value: JSONValue
            switch input[position] {
            case UInt8(ascii: "{"):
                try checkDepth()
                position += 1
                skipWhitespace()
                if position < input.count && input[position] == UInt8(ascii: "}") {
                    position += 1
                    value = .object([:])
                } else {
                    var frame = Frame(isObject: true)
                    frame.members.reserveCapacity(8)  // skips the first rehashes of typical event objects
                    stack.append(frame)
                    try parseKey()
                    continue nextValue
                }
            case UInt8(ascii: "["):
                try checkDepth()
                position += 1
                skipWhitespace()
                if position < input.count && input[position] == UInt8(ascii: "]") {
                    position += 1
                    value = .array([])
                } else {
                    stack.append(Frame(isObject: false))
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .int(try parseInteger())
            case UInt8(ascii: "+"):
                throw fail(position, "a leading '+' is not allowed")
            case let byte:
                throw fail(position, "unexpected \(Self.describe(byte)), expected a value")
            }

            // Hand the finished value to its container, closing every container that ends here.
            while !stack.isEmpty {
                let top = stack.count - 1
                skipWhitespace()
                if stack[top].isObject {
                    if stack[top].members.updateValue(value, forKey: stack[top].key) != nil {
                        throw fail(stack[top].keyOffset, "duplicate object key \"\(stack[top].key)\"")
                    }
                    guard position < input.count else {
                        throw fail(position, "unexpected end of input, expected ',' or '}'")
                    }
                    switch input[position] {
                    case UInt8(ascii: ","):
                        position += 1
                        skipWhitespace()
                        try parseKey()
                        continue nextValue
                    case UInt8(ascii: "}"):
                        position += 1
                        value = .object(stack.removeLast().members)
                    case let byte:
                        throw fail(position, "unexpected \(Self.describe(byte)), expected ',' or '}'")
                    }
                } else {
                    stack[top].elements.append(value)
                    guard position < input.count else {
                        throw fail(position, "unexpected end of input, expected ',' or ']'")
                    }
                    switch input[position] {
                    case UInt8(ascii: ","):
                        position += 1
                        skipWhitespace()
                        if position < input.count && input[position] == UInt8(ascii: "]") {
                            throw fail(position, "trailing comma before ']'")
                        }
                        continue nextValue
                    case UInt8(ascii: "]"):
                        position += 1
                        value = .array(stack.removeLast().elements)
                    case let byte:
                        throw fail(position, "unexpected \(Self.describe(byte)), expected ',' or ']'")
                    }
                }
            }
            return value
        }
    }

    private func checkDepth() throws(JSONParseError) {
        if stack.count >= limits.maxDepth {
            throw fail(position, "nesting deeper than the limit of \(limits.maxDepth)")
        }
    }

    /// Parses `"key" :` and leaves the position on the member's value.
    private mutating func parseKey() throws(JSONParseError) {
        guard position < input.count else { throw fail(position, "unexpected end of input, expected an object key") }
        let byte = input[position]
        guard byte == UInt8(ascii: "\"") else {
            if byte == UInt8(ascii: "}") { throw fail(position, "trailing comma before '}'") }
            throw fail(position, "unexpected \(Self.describe(byte)), expected a string object key")
        }
        let keyOffset = position
        let key = try parseString()
        skipWhitespace()
        guard position < input.count && input[position] == UInt8(ascii: ":") else {
            throw fail(position, "expected ':' after an object key")
        }
        position += 1
        skipWhitespace()
        stack[stack.count - 1].key = key
        stack[stack.count - 1].keyOffset = keyOffset
    }

    private mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                position += 1
            default:
                return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        guard position + count <= input.count,
              UnsafeBufferPointer(rebasing: input[position..<(position + count)]).elementsEqual(expected)
        else {
            throw fail(position, "invalid literal, expected '\(literal)'")
        }
        position += count
    }

    // MARK: - Scalars

    /// Parses an integer token: `-`? then `0` or a non-zero digit followed by digits, within Int64.
    private mutating func parseInteger() throws(JSONParseError) -> Int64 {
        let start = position
        let negative = input[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        guard position < input.count, Self.isDigit(input[position]) else {
            throw fail(position, "expected a digit after '-'")
        }
        var magnitude: UInt64 = 0
        if input[position] == UInt8(ascii: "0") {
            position += 1
            if position < input.count && Self.isDigit(input[position]) {
                throw fail(start, "leading zeros are not allowed")
            }
        } else {
            let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
            while position < input.count && Self.isDigit(input[position]) {
                let digit = UInt64(input[position] &- UInt8(ascii: "0"))
                let (shifted, overflowMultiply) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflowAdd) = shifted.addingReportingOverflow(digit)
                guard !overflowMultiply && !overflowAdd && sum <= limit else {
                    throw fail(start, "integer outside the signed 64-bit range")
                }
                magnitude = sum
                position += 1
            }
        }
        if position < input.count {
            switch input[position] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
                throw fail(position, "integers only: fractions and exponents are not allowed")
            default:
                break
            }
        }
        if negative && magnitude == 0 {
            throw fail(start, "negative zero is not allowed, write 0")
        }
        return negative ? Int64(bitPattern: 0 &- magnitude) : Int64(bitPattern: magnitude)
    }

    /// Parses a string starting at its opening quote; strings without escapes are copied in one step.
    private mutating func parseString() throws(JSONParseError) -> String {
        let quoteOffset = position
        let start = position + 1
        var index = start
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "\"") {
                guard index - start <= limits.maxStringBytes else { throw stringTooLong(quoteOffset) }
                position = index + 1
                return String(decoding: UnsafeBufferPointer(rebasing: input[start..<index]), as: UTF8.self)
            } else if byte == UInt8(ascii: "\\") {
                break
            } else if byte < 0x20 {
                throw fail(index, "control character \(Self.describe(byte)) must be escaped in a string")
            } else if byte < 0x80 {
                index += 1
            } else {
                index = try endOfUTF8Sequence(at: index)
            }
        }
        guard index < input.count else { throw fail(quoteOffset, "unterminated string") }

        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: input[start..<index])
        while true {
            guard index < input.count else { throw fail(quoteOffset, "unterminated string") }
            let byte = input[index]
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                return String(decoding: scratch, as: UTF8.self)
            } else if byte == UInt8(ascii: "\\") {
                index = try appendEscape(at: index)
            } else if byte < 0x20 {
                throw fail(index, "control character \(Self.describe(byte)) must be escaped in a string")
            } else if byte < 0x80 {
                scratch.append(byte)
                index += 1
            } else {
                let end = try endOfUTF8Sequence(at: index)
                scratch.append(contentsOf: input[index..<end])
                index = end
            }
            if scratch.count > limits.maxStringBytes { throw stringTooLong(quoteOffset) }
        }
    }

    /// Decodes the escape at `index` (a backslash) into `scratch` and returns the index after it.
    private mutating func appendEscape(at index: Int) throws(JSONParseError) -> Int {
        guard index + 1 < input.count else { throw fail(index, "unterminated escape sequence") }
        let simple: UInt8
        switch input[index + 1] {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            let unit = try hexQuad(at: index + 2)
            switch unit {
            case 0xD800...0xDBFF:
                guard index + 7 < input.count,
                      input[index + 6] == UInt8(ascii: "\\"), input[index + 7] == UInt8(ascii: "u")
                else {
                    throw fail(index, "high surrogate escape not followed by a low surrogate escape")
                }
                let low = try hexQuad(at: index + 8)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail(index + 6, "high surrogate escape followed by a non-low-surrogate escape")
                }
                appendUTF8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                return index + 12
            case 0xDC00...0xDFFF:
                throw fail(index, "low surrogate escape without a preceding high surrogate")
            default:
                appendUTF8(unit)
                return index + 6
            }
        case let byte:
            throw fail(index, "invalid escape sequence '\\' followed by \(Self.describe(byte))")
        }
        scratch.append(simple)
        return index + 2
    }

    /// Reads the four hexadecimal digits of a `\u` escape.
    private func hexQuad(at index: Int) throws(JSONParseError) -> UInt32 {
        guard index + 4 <= input.count else { throw fail(index - 2, "\\u escape needs four hexadecimal digits") }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let nibble = Hex.nibble(input[index + offset]) else {
                throw fail(index - 2, "\\u escape needs four hexadecimal digits")
            }
            value = value << 4 | UInt32(nibble)
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Validates the multi-byte UTF-8 sequence starting at `index` (RFC 3629 section 4) and returns its end.
    private func endOfUTF8Sequence(at index: Int) throws(JSONParseError) -> Int {
        let lead = input[index]
        // The allowed range of the second byte depends on the lead; later bytes are always 80…BF.
        let length: Int
        let secondRange: ClosedRange<UInt8>
        switch lead {
        case 0xC2...0xDF: length = 2; secondRange = 0x80...0xBF
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; secondRange = 0x80...0xBF
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4; secondRange = 0x80...0xBF
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        case 0x80...0xBF: throw fail(index, "invalid UTF-8: unexpected continuation \(Self.describe(lead))")
        case 0xC0, 0xC1: throw fail(index, "invalid UTF-8: overlong encoding")
        default: throw fail(index, "invalid UTF-8: \(Self.describe(lead)) never appears in UTF-8")
        }
        guard index + length <= input.count else { throw fail(index, "invalid UTF-8: truncated sequence") }
        let second = input[index + 1]
        guard secondRange.contains(second) else {
            if second & 0xC0 != 0x80 { throw fail(index, "invalid UTF-8: truncated sequence") }
            switch lead {
            case 0xED: throw fail(index, "invalid UTF-8: encoded UTF-16 surrogate")
            case 0xF4: throw fail(index, "invalid UTF-8: code point above U+10FFFF")
            default: throw fail(index, "invalid UTF-8: overlong encoding")
            }
        }
        for offset in 2..<length where input[index + offset] & 0xC0 != 0x80 {
            throw fail(index, "invalid UTF-8: truncated sequence")
        }
        return index + length
    }

    // MARK: - Errors

    private func fail(_ offset: Int, _ message: String) -> JSONParseError {
        JSONParseError(offset: offset, message: message)
    }

    private func stringTooLong(_ offset: Int) -> JSONParseError {
        fail(offset, "string longer than the limit of \(limits.maxStringBytes) bytes")
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Names a byte for a message: printable ASCII as `'x'`, anything else in hex.
    private static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))'"
        }
        let hex = Hex.encode([byte]).uppercased()
        return "byte 0x\(hex)"
    }
}

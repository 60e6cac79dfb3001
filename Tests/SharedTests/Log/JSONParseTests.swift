import Testing
import Shared

@Suite struct JSONParseTests {
    struct BadInput: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        var testDescription: String { name }

        /// The exact message the parser must give, so each input is known to fail for the intended reason.
        let reason: String

        init(_ name: String, _ text: String, because reason: String) {
            self.init(name, bytes: Array(text.utf8), because: reason)
        }

        init(_ name: String, bytes: [UInt8], because reason: String) {
            self.name = name
            self.bytes = bytes
            self.reason = reason
        }
    }

    static func nested(_ depth: Int, open: String = "[", close: String = "]") -> String {
        String(repeating: open, count: depth) + String(repeating: close, count: depth)
    }

    static let quote = UInt8(ascii: "\"")

    /// Every one of these must be rejected. `-0` is rejected on purpose: every accepted integer token is
    /// then already in canonical form, and no two integer spellings mean the same value.
    static let badInputs: [BadInput] = [
        BadInput("empty document", "", because: "empty document"),
        BadInput("whitespace only", " \t\r\n", because: "document holds only whitespace"),
        BadInput("UTF-8 byte order mark", bytes: [0xEF, 0xBB, 0xBF] + Array("{}".utf8), because: "a UTF-8 byte order mark is not allowed"),
        BadInput("byte order mark after whitespace", bytes: [0x20, 0xEF, 0xBB, 0xBF, 0x31], because: "unexpected byte 0xEF, expected a value"),
        BadInput("trailing comma in array", "[1,]", because: "trailing comma before ']'"),
        BadInput("trailing comma in object", #"{"a":1,}"#, because: "trailing comma before '}'"),
        BadInput("leading comma in array", "[,1]", because: "unexpected ',', expected a value"),
        BadInput("lone comma in object", "{,}", because: "unexpected ',', expected a string object key"),
        BadInput("missing comma in array", "[1 2]", because: "unexpected '2', expected ',' or ']'"),
        BadInput("missing comma in object", #"{"a":1 "b":2}"#, because: #"unexpected '"', expected ',' or '}'"#),
        BadInput("single-quoted string", "['a']", because: "unexpected ''', expected a value"),
        BadInput("unquoted key", "{a:1}", because: "unexpected 'a', expected a string object key"),
        BadInput("number as key", "{1:1}", because: "unexpected '1', expected a string object key"),
        BadInput("missing colon", #"{"a" 1}"#, because: "expected ':' after an object key"),
        BadInput("missing value", #"{"a":}"#, because: "unexpected '}', expected a value"),
        BadInput("NaN", "NaN", because: "unexpected 'N', expected a value"),
        BadInput("nan", "nan", because: "invalid literal, expected 'null'"),
        BadInput("Infinity", "Infinity", because: "unexpected 'I', expected a value"),
        BadInput("-Infinity", "-Infinity", because: "expected a digit after '-'"),
        BadInput("fraction", "1.5", because: "integers only: fractions and exponents are not allowed"),
        BadInput("fraction with zero part", "1.0", because: "integers only: fractions and exponents are not allowed"),
        BadInput("exponent", "1e3", because: "integers only: fractions and exponents are not allowed"),
        BadInput("capital exponent", "1E3", because: "integers only: fractions and exponents are not allowed"),
        BadInput("negative exponent", "-2e-1", because: "integers only: fractions and exponents are not allowed"),
        BadInput("leading dot", ".5", because: "unexpected '.', expected a value"),
        BadInput("trailing dot", "1.", because: "integers only: fractions and exponents are not allowed"),
        BadInput("negative zero", "-0", because: "negative zero is not allowed, write 0"),
        BadInput("leading zero", "01", because: "leading zeros are not allowed"),
        BadInput("negative leading zero", "-01", because: "leading zeros are not allowed"),
        BadInput("double zero", "00", because: "leading zeros are not allowed"),
        BadInput("plus sign", "+1", because: "a leading '+' is not allowed"),
        BadInput("minus alone", "-", because: "expected a digit after '-'"),
        BadInput("minus then space", "- 1", because: "expected a digit after '-'"),
        BadInput("hexadecimal number", "0x10", because: "unexpected data after the JSON value"),
        BadInput("Int64.max + 1", "9223372036854775808", because: "integer outside the signed 64-bit range"),
        BadInput("Int64.min - 1", "-9223372036854775809", because: "integer outside the signed 64-bit range"),
        BadInput("twenty-three digits", "99999999999999999999999", because: "integer outside the signed 64-bit range"),
        BadInput("lone high surrogate escape", #""\ud800""#, because: "high surrogate escape not followed by a low surrogate escape"),
        BadInput("lone low surrogate escape", #""\udc00""#, because: "low surrogate escape without a preceding high surrogate"),
        BadInput("reversed surrogate pair", #""\udc00\ud800""#, because: "low surrogate escape without a preceding high surrogate"),
        BadInput("high surrogate then BMP escape", #""\ud800\u0041""#, because: "high surrogate escape followed by a non-low-surrogate escape"),
        BadInput("high surrogate then text", #""\ud800x""#, because: "high surrogate escape not followed by a low surrogate escape"),
        BadInput("high surrogate then simple escape", #""\ud800\n""#, because: "high surrogate escape not followed by a low surrogate escape"),
        BadInput("high surrogate at end of string", #""\uD83D""#, because: "high surrogate escape not followed by a low surrogate escape"),
        BadInput("invalid byte 0xFF", bytes: [quote, 0xFF, quote], because: "invalid UTF-8: byte 0xFF never appears in UTF-8"),
        BadInput("invalid byte 0xFE", bytes: [quote, 0xFE, quote], because: "invalid UTF-8: byte 0xFE never appears in UTF-8"),
        BadInput("stray continuation byte", bytes: [quote, 0x80, quote], because: "invalid UTF-8: unexpected continuation byte 0x80"),
        BadInput("overlong slash, 2 bytes", bytes: [quote, 0xC0, 0xAF, quote], because: "invalid UTF-8: overlong encoding"),
        BadInput("overlong NUL, 2 bytes", bytes: [quote, 0xC1, 0x80, quote], because: "invalid UTF-8: overlong encoding"),
        BadInput("overlong slash, 3 bytes", bytes: [quote, 0xE0, 0x80, 0xAF, quote], because: "invalid UTF-8: overlong encoding"),
        BadInput("overlong, 4 bytes", bytes: [quote, 0xF0, 0x80, 0x80, 0xAF, quote], because: "invalid UTF-8: overlong encoding"),
        BadInput("UTF-8 encoded high surrogate", bytes: [quote, 0xED, 0xA0, 0x80, quote], because: "invalid UTF-8: encoded UTF-16 surrogate"),
        BadInput("UTF-8 encoded low surrogate", bytes: [quote, 0xED, 0xBF, 0xBF, quote], because: "invalid UTF-8: encoded UTF-16 surrogate"),
        BadInput("code point U+110000", bytes: [quote, 0xF4, 0x90, 0x80, 0x80, quote], because: "invalid UTF-8: code point above U+10FFFF"),
        BadInput("lead byte 0xF5", bytes: [quote, 0xF5, 0x80, 0x80, 0x80, quote], because: "invalid UTF-8: byte 0xF5 never appears in UTF-8"),
        BadInput("truncated 3-byte sequence", bytes: [quote, 0xE2, 0x82, quote], because: "invalid UTF-8: truncated sequence"),
        BadInput("truncated 4-byte sequence at end", bytes: [quote, 0xF0, 0x9F, 0x98], because: "invalid UTF-8: truncated sequence"),
        BadInput("truncated 2-byte sequence before ASCII", bytes: [quote, 0xC3, 0x41, quote], because: "invalid UTF-8: truncated sequence"),
        BadInput("invalid UTF-8 after an escape", bytes: [quote, 0x5C, 0x6E, 0xFF, quote], because: "invalid UTF-8: byte 0xFF never appears in UTF-8"),
        BadInput("non-ASCII byte outside a string", bytes: [0x5B, 0xC3, 0xA9, 0x5D], because: "unexpected byte 0xC3, expected a value"),
        BadInput("raw newline in string", "\"a\nb\"", because: "control character byte 0x0A must be escaped in a string"),
        BadInput("raw tab in string", "\"a\tb\"", because: "control character byte 0x09 must be escaped in a string"),
        BadInput("raw NUL in string", bytes: [quote, 0x00, quote], because: "control character byte 0x00 must be escaped in a string"),
        BadInput("raw U+001F in string", bytes: [quote, 0x1F, quote], because: "control character byte 0x1F must be escaped in a string"),
        BadInput("unknown escape \\x", #""\x41""#, because: #"invalid escape sequence '\' followed by 'x'"#),
        BadInput("unknown escape \\a", #""\a""#, because: #"invalid escape sequence '\' followed by 'a'"#),
        BadInput("escaped apostrophe", #""\'""#, because: #"invalid escape sequence '\' followed by '''"#),
        BadInput("capital \\U escape", #""\U0041""#, because: #"invalid escape sequence '\' followed by 'U'"#),
        BadInput("short \\u escape", #""\u12""#, because: #"\u escape needs four hexadecimal digits"#),
        BadInput("non-hex \\u escape", #""\u00g1""#, because: #"\u escape needs four hexadecimal digits"#),
        BadInput("escape at end of input", #""abc\"#, because: "unterminated escape sequence"),
        BadInput("unterminated string", #""abc"#, because: "unterminated string"),
        BadInput("string closed by escaped quote only", #""abc\""#, because: "unterminated string"),
        BadInput("unterminated array", "[1", because: "unexpected end of input, expected ',' or ']'"),
        BadInput("unterminated array after comma", "[1,", because: "unexpected end of input, expected a value"),
        BadInput("unterminated object", #"{"a":1"#, because: "unexpected end of input, expected ',' or '}'"),
        BadInput("unterminated key", #"{"a"#, because: "unterminated string"),
        BadInput("unbalanced close bracket", "]", because: "unexpected ']', expected a value"),
        BadInput("extra close bracket", #"["a"]]"#, because: "unexpected data after the JSON value"),
        BadInput("mismatched brackets", "[}", because: "unexpected '}', expected a value"),
        BadInput("duplicate key", #"{"a":1,"a":2}"#, because: #"duplicate object key "a""#),
        BadInput("duplicate key spelled with an escape", #"{"a":1,"\u0061":2}"#, because: #"duplicate object key "a""#),
        BadInput("nested duplicate key", #"{"x":{"k":null,"k":null}}"#, because: #"duplicate object key "k""#),
        BadInput("two top-level values", "1 2", because: "unexpected data after the JSON value"),
        BadInput("trailing garbage", "{}x", because: "unexpected data after the JSON value"),
        BadInput("trailing NUL", bytes: Array("{}".utf8) + [0], because: "unexpected data after the JSON value"),
        BadInput("truncated true", "tru", because: "invalid literal, expected 'true'"),
        BadInput("capitalised True", "True", because: "unexpected 'T', expected a value"),
        BadInput("truncated null", "nul", because: "invalid literal, expected 'null'"),
        BadInput("literal with suffix", "nullx", because: "unexpected data after the JSON value"),
        BadInput("line comment", "[1] // note", because: "unexpected data after the JSON value"),
        BadInput("block comment", "/* note */ 1", because: "unexpected '/', expected a value"),
        BadInput("form feed is not JSON whitespace", "\u{0C}1", because: "unexpected byte 0x0C, expected a value"),
        BadInput("vertical tab is not JSON whitespace", "\u{0B}1", because: "unexpected byte 0x0B, expected a value"),
        BadInput("no-break space is not JSON whitespace", "\u{A0}1", because: "unexpected byte 0xC2, expected a value"),
        BadInput("depth 65 of arrays", nested(65), because: "nesting deeper than the limit of 64"),
        BadInput("depth 65 mixing objects and arrays",
                 String(repeating: #"{"a":["#, count: 32) + "{}" + String(repeating: "]}", count: 32), because: "nesting deeper than the limit of 64"),
        BadInput("depth 100000", nested(100_000), because: "nesting deeper than the limit of 64"),
    ]

    @Test(arguments: badInputs)
    func rejectsMalformedOrOutOfContractInput(_ input: BadInput) {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(input.bytes) }
        #expect(error?.message == input.reason)
    }

    @Test func badInputTableIsLargeEnough() {
        #expect(Self.badInputs.count >= 40)
    }

    @Test(arguments: [
        ("1.5", 1, "integers only: fractions and exponents are not allowed"),
        ("[1e3]", 2, "integers only: fractions and exponents are not allowed"),
        (#"{"a":1,"a":2}"#, 7, #"duplicate object key "a""#),
        ("01", 0, "leading zeros are not allowed"),
        ("-0", 0, "negative zero is not allowed, write 0"),
        ("[1,]", 3, "trailing comma before ']'"),
        (" {} x", 4, "unexpected data after the JSON value"),
        (#""\ud800""#, 1, "high surrogate escape not followed by a low surrogate escape"),
        ("9223372036854775808", 0, "integer outside the signed 64-bit range"),
    ] as [(String, Int, String)])
    func errorsCarryOffsetAndMessage(text: String, offset: Int, message: String) {
        #expect(throws: JSONParseError(offset: offset, message: message)) { try JSONValue.parse(text) }
    }

    @Test func errorDescriptionNamesTheOffset() {
        let error = JSONParseError(offset: 3, message: "trailing comma before ']'")
        #expect(error.description == "invalid JSON at byte 3: trailing comma before ']'")
    }

    @Test func depthLimitIsInclusive() throws {
        #expect(try JSONValue.parse(Self.nested(64)) != .null)
        let shallow = JSONLimits(maxDepth: 2, maxBytes: 100, maxStringBytes: 100)
        #expect(try JSONValue.parse("[[1]]", limits: shallow) == [[1]])
        #expect(try JSONValue.parse("[{}]", limits: shallow) == [[:]])
        #expect(throws: JSONParseError.self) { try JSONValue.parse("[[[]]]", limits: shallow) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"[{"a":[]}]"#, limits: shallow) }
    }

    @Test func documentSizeLimitIsInclusive() throws {
        let limits = JSONLimits(maxDepth: 8, maxBytes: 7, maxStringBytes: 100)
        #expect(try JSONValue.parse("\"abcde\"", limits: limits) == "abcde")
        #expect(throws: JSONParseError.self) { try JSONValue.parse("\"abcdef\"", limits: limits) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array("\"abcdef\"".utf8).lazy.map { $0 }, limits: limits) }
    }

    @Test func stringLimitCountsUnescapedUTF8Bytes() throws {
        let limits = JSONLimits(maxDepth: 8, maxBytes: 1000, maxStringBytes: 4)
        #expect(try JSONValue.parse(#""abcd""#, limits: limits) == "abcd")
        #expect(try JSONValue.parse(#""\u00e9\u00e9""#, limits: limits) == "éé")
        #expect(try JSONValue.parse(#"{"abcd":"\n\n\n\n"}"#, limits: limits) == ["abcd": "\n\n\n\n"])
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#""abcde""#, limits: limits) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#""éé\n""#, limits: limits) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"abcde":1}"#, limits: limits) }
    }

    @Test func parsesExtremeIntegers() throws {
        #expect(try JSONValue.parse("9223372036854775807") == .int(.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(.min))
        #expect(try JSONValue.parse("0") == 0)
        #expect(try JSONValue.parse("-1") == -1)
    }

    @Test func parsesNonContiguousCollections() throws {
        let bytes = Array(#"{"a":[1,"x"]}"#.utf8)
        #expect(try JSONValue.parse(bytes.lazy.map { $0 }) == ["a": [1, "x"]])
        #expect(try JSONValue.parse(bytes[...]) == ["a": [1, "x"]])
    }

    @Test func escapesDecodeToTheirCodePoints() throws {
        #expect(try JSONValue.parse(#""\"\\\/\b\f\n\r\t""#) == "\"\\/\u{8}\u{C}\n\r\t")
        #expect(try JSONValue.parse(#""\u0000\u00E9\u20ac\uD83D\uDE00""#) == "\u{0}é€😀")
    }

    @Test func keepsTextExactlyAsWritten() throws {
        // Canonically equivalent spellings stay distinct: no Unicode normalisation anywhere.
        let composed = try JSONValue.parse("\"\u{E9}\"")
        let decomposed = try JSONValue.parse("\"e\u{301}\"")
        #expect(composed != decomposed)
        #expect(Array(composed.stringValue!.utf8) == [0xC3, 0xA9])
        #expect(Array(decomposed.stringValue!.utf8) == [0x65, 0xCC, 0x81])
        #expect(composed.canonicalBytes() != decomposed.canonicalBytes())
    }

    @Test func canonicallyEquivalentKeysAreRejectedAsDuplicates() {
        // A Swift dictionary cannot hold both spellings, so the parser refuses rather than merging them.
        #expect(throws: JSONParseError.self) { try JSONValue.parse("{\"\u{E9}\":1,\"e\u{301}\":2}") }
    }
}

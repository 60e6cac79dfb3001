import Testing
import TestSupport
@testable import Shared

@Suite struct CSVParsingTests {
    struct Good: Sendable, CustomTestStringConvertible {
        let name: String
        let input: [UInt8]
        let rows: [[String]]
        var testDescription: String { name }

        init(_ name: String, _ input: String, _ rows: [[String]]) {
            self.init(name, Array(input.utf8), rows)
        }

        init(_ name: String, _ input: [UInt8], _ rows: [[String]]) {
            self.name = name
            self.input = input
            self.rows = rows
        }
    }

    static let good: [Good] = [
        Good("plain records", "a,b,c\n1,2,3\n", [["a", "b", "c"], ["1", "2", "3"]]),
        Good("no final newline", "a,b\nc,d", [["a", "b"], ["c", "d"]]),
        Good("CRLF line ends", "a,b\r\nc,d\r\n", [["a", "b"], ["c", "d"]]),
        Good("mixed CRLF and LF", "a\r\nb\nc\r\n", [["a"], ["b"], ["c"]]),
        Good("byte-order mark dropped", [0xEF, 0xBB, 0xBF] + Array("uai,name\n".utf8), [["uai", "name"]]),
        Good("byte-order mark alone", [0xEF, 0xBB, 0xBF], []),
        Good("empty input", "", []),
        Good("quoted comma", "\"Lycée Jeanne-d'Arbois, site tertiaire\",Lyon\n", [["Lycée Jeanne-d'Arbois, site tertiaire", "Lyon"]]),
        Good("doubled quotes", "\"il a dit \"\"bonjour\"\"\",x\n", [["il a dit \"bonjour\"", "x"]]),
        Good("only a doubled quote", "\"\"\"\"", [["\""]]),
        Good("LF inside quotes", "\"ligne 1\nligne 2\",x\n", [["ligne 1\nligne 2", "x"]]),
        Good("CRLF inside quotes kept", "\"a\r\nb\"\r\n", [["a\r\nb"]]),
        Good("lone CR inside quotes kept", "\"a\rb\",c", [["a\rb", "c"]]),
        Good("empty fields", ",,\n", [["", "", ""]]),
        Good("trailing comma at end of input", "a,", [["a", ""]]),
        Good("quoted empty field is a record", "\"\"\n", [[""]]),
        Good("quoted empty fields", "\"\",\"\"", [["", ""]]),
        Good("blank lines skipped", "a\n\nb\n\n\n", [["a"], ["b"]]),
        Good("trailing empty CRLF line", "a\r\n\r\n", [["a"]]),
        Good("spaces kept", " a , b \n", [[" a ", " b "]]),
        Good("unicode", "é,日本語,🎉,N'Diaye\n", [["é", "日本語", "🎉", "N'Diaye"]]),
        Good("byte-order mark after the start is data", "a\n\u{FEFF}b", [["a"], ["\u{FEFF}b"]]),
        Good("records of different widths", "a,b\nc\n", [["a", "b"], ["c"]]),
        Good("quoted then unquoted", "\"x\",y,\"z\"\r\n", [["x", "y", "z"]]),
    ]

    @Test(arguments: good)
    func parsesWellFormedInput(_ example: Good) throws {
        #expect(try CSV.parse(example.input) == example.rows)
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let name: String
        let input: [UInt8]
        let limits: CSVLimits
        let line: Int
        let column: Int
        var testDescription: String { name }

        init(_ name: String, _ input: String, limits: CSVLimits = .default, line: Int, column: Int) {
            self.init(name, Array(input.utf8), limits: limits, line: line, column: column)
        }

        init(_ name: String, _ input: [UInt8], limits: CSVLimits = .default, line: Int, column: Int) {
            self.name = name
            self.input = input
            self.limits = limits
            self.line = line
            self.column = column
        }
    }

    static func limits(bytes: Int = 1 << 20, rows: Int = 100, fields: Int = 100, fieldBytes: Int = 100) -> CSVLimits {
        CSVLimits(maxBytes: bytes, maxRows: rows, maxFieldsPerRow: fields, maxFieldBytes: fieldBytes)
    }

    static let bad: [Bad] = [
        Bad("quote inside an unquoted field", "a\"b", line: 1, column: 1),
        Bad("quote inside a later unquoted field", "x,y\na,b\"c\n", line: 2, column: 2),
        Bad("characters after a closing quote", "\"ab\"c", line: 1, column: 1),
        Bad("space after a closing quote", "x\n\"ab\" ,c", line: 2, column: 1),
        Bad("characters after a multi-line quoted field", "\"a\nb\"x", line: 2, column: 1),
        Bad("unterminated quoted field", "\"abc", line: 1, column: 1),
        Bad("unterminated quoted field spanning lines", "a,\"b\nc\nd", line: 1, column: 2),
        Bad("unterminated quoted field after records", "a\nb,\"c\n\nd", line: 2, column: 2),
        Bad("NUL in an unquoted field", [UInt8]("a,b".utf8) + [0], line: 1, column: 2),
        Bad("NUL inside quotes", [UInt8]("\"a\n".utf8) + [0] + [UInt8]("\"".utf8), line: 2, column: 1),
        Bad("invalid UTF-8 byte", [UInt8]("a,".utf8) + [0xFF], line: 1, column: 2),
        Bad("truncated UTF-8 inside quotes", [UInt8]("x\n\"a\n".utf8) + [0xC3] + [UInt8]("\"".utf8), line: 3, column: 1),
        Bad("overlong UTF-8", [0xC0, 0xAF], line: 1, column: 1),
        Bad("UTF-16 surrogate in UTF-8", [UInt8]("a,b,".utf8) + [0xED, 0xA0, 0x80], line: 1, column: 3),
        Bad("Latin-1 text", [UInt8]("nom\nL".utf8) + [0xE9] + [UInt8]("a\n".utf8), line: 2, column: 1),
        Bad("lone CR", "a\rb", line: 1, column: 1),
        Bad("lone CR at the end", "a,b\r", line: 1, column: 2),
        Bad("too many records", "a\nb\nc", limits: limits(rows: 2), line: 3, column: 1),
        Bad("too many records after a blank line", "a\n\nb\n\nc\n", limits: limits(rows: 2), line: 5, column: 1),
        Bad("too many fields", "a,b,c", limits: limits(fields: 2), line: 1, column: 3),
        Bad("too many empty fields", "x\n,,,", limits: limits(fields: 3), line: 2, column: 4),
        Bad("field too long", "ab,abcd", limits: limits(fieldBytes: 3), line: 1, column: 2),
        Bad("quoted field too long", "\"a\nb\ncd\"", limits: limits(fieldBytes: 4), line: 3, column: 1),
        Bad("input too large", "abcde", limits: limits(bytes: 4), line: 1, column: 1),
        Bad("error after a byte-order mark", [0xEF, 0xBB, 0xBF] + [UInt8]("a\"".utf8), line: 1, column: 1),
    ]

    @Test(arguments: bad)
    func rejectsMalformedInputWithItsPlace(_ example: Bad) {
        let error = #expect(throws: CSVError.self) { try CSV.parse(example.input, limits: example.limits) }
        #expect(error?.line == example.line)
        #expect(error?.column == example.column)
        #expect(error?.message.isEmpty == false)
    }

    @Test func recordsKeepTheLineTheyStartOn() throws {
        let records = try CSV.records(Array("a\n\"x\ny\",z\n\nb\r\nc".utf8))
        #expect(records.map(\.line) == [1, 2, 5, 6])
        #expect(records.map(\.fields) == [["a"], ["x\ny", "z"], ["b"], ["c"]])
    }

    @Test func errorDescriptionNamesLineAndField() {
        let error = CSVError(line: 3, column: 2, message: "Champ entre guillemets jamais refermé.")
        #expect(error.description == "ligne 3, champ 2 : Champ entre guillemets jamais refermé.")
    }
}

@Suite struct CSVEncodingTests {
    struct Example: Sendable, CustomTestStringConvertible {
        let name: String
        let rows: [[String]]
        let separator: UInt8
        let neutraliseFormulas: Bool
        let output: String
        var testDescription: String { name }

        init(_ name: String, _ rows: [[String]], separator: Character = ",", neutralise: Bool = false, _ output: String) {
            self.name = name
            self.rows = rows
            self.separator = separator.asciiValue!
            self.neutraliseFormulas = neutralise
            self.output = output
        }
    }

    static let examples: [Example] = [
        Example("plain fields", [["a", "b"], ["c", "d"]], "a,b\r\nc,d\r\n"),
        Example("separator, quote and line breaks quoted", [["a,b", "c\"d", "e\nf", "g\rh"]], "\"a,b\",\"c\"\"d\",\"e\nf\",\"g\rh\"\r\n"),
        Example("lone empty field quoted", [[""]], "\"\"\r\n"),
        Example("empty fields among others unquoted", [["", ""]], ",\r\n"),
        Example("leading byte-order mark quoted", [["\u{FEFF}x"]], "\"\u{FEFF}x\"\r\n"),
        Example("semicolon separator", [["a;b", "c,d"]], separator: ";", "\"a;b\";c,d\r\n"),
        Example("no rows", [], ""),
        Example(
            "formulas neutralised",
            [["=SOMME(A1:A3)", "+33 1 23", "-2", "@cmd", "\tx", "a=b", "14,5"]],
            neutralise: true,
            "'=SOMME(A1:A3),'+33 1 23,'-2,'@cmd,'\tx,a=b,\"14,5\"\r\n"
        ),
        Example("neutralised field still quoted", [["=1,2", "=\"x\""]], neutralise: true, "\"'=1,2\",\"'=\"\"x\"\"\"\r\n"),
        Example("formulas kept without the option", [["=1+1"]], "=1+1\r\n"),
    ]

    @Test(arguments: examples)
    func encodes(_ example: Example) {
        #expect(CSV.encode(example.rows, separator: example.separator, neutraliseFormulas: example.neutraliseFormulas) == example.output)
    }

    static let alphabet: [String] = ["a", "Z", "0", " ", ",", ";", "\"", "\r", "\n", "\r\n", "é", "É", "日", "🎉", "'", "=", "\u{FEFF}", "\t"]

    static func randomTable(using generator: inout SeededGenerator) -> [[String]] {
        (0..<Int.random(in: 0...6, using: &generator)).map { _ in
            (0..<Int.random(in: 1...5, using: &generator)).map { _ in
                (0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }.joined()
            }
        }
    }

    @Test func randomTablesSurviveEncodeThenParse() throws {
        var generator = SeededGenerator(seed: 20_260_401)
        for _ in 0..<1_000 {
            let table = Self.randomTable(using: &generator)
            let encoded = CSV.encode(table)
            #expect(try CSV.parse(Array(encoded.utf8)) == table, "\(encoded.debugDescription)")
        }
    }

    static let fuzzBytes: [UInt8] = Array("a,\"\r\n ".utf8) + [0, 0xC3, 0xA9, 0xFF, 0xEF, 0xBB, 0xBF]

    @Test func randomBytesEitherFailOrRoundTrip() throws {
        var generator = SeededGenerator(seed: 4180)
        let limits = CSVLimits(maxBytes: 64, maxRows: 8, maxFieldsPerRow: 8, maxFieldBytes: 16)
        for _ in 0..<5_000 {
            let input = (0..<Int.random(in: 0...40, using: &generator)).map { _ in Self.fuzzBytes.randomElement(using: &generator)! }
            guard let rows = try? CSV.parse(input, limits: limits) else { continue }
            #expect(try CSV.parse(Array(CSV.encode(rows).utf8)) == rows, "\(input)")
        }
    }
}

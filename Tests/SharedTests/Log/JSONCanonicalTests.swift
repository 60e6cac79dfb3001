import Testing
import TestSupport
import Shared

@Suite struct JSONCanonicalTests {
    /// Accepted documents and their exact canonical encoding.
    @Test(arguments: [
        ("null", "null"),
        (" true ", "true"),
        ("\tfalse\r\n", "false"),
        ("0", "0"),
        ("-1", "-1"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
        (#""""#, #""""#),
        (#""\/""#, #""/""#),
        (#""\u0041""#, #""A""#),
        (#""\u00e9""#, "\"\u{E9}\""),
        (#""\u001F""#, #""\u001f""#),
        (#""\u0000""#, #""\u0000""#),
        (#""\u000b""#, #""\u000b""#),
        (#""\u0008\u000C""#, #""\b\f""#),
        (#""\b\f\n\r\t\"\\""#, #""\b\f\n\r\t\"\\""#),
        (#""\u007f""#, "\"\u{7F}\""),
        (#""\u2028\u2029""#, "\"\u{2028}\u{2029}\""),
        (#""\uD83D\uDE00""#, "\"😀\""),
        (#""\ud83d\ude00""#, "\"😀\""),
        ("\"日本語\"", "\"日本語\""),
        ("\"\u{FEFF}inside\"", "\"\u{FEFF}inside\""),
        ("[ ]", "[]"),
        ("{ }", "{}"),
        ("[ 1 , 2 , [ ] ]", "[1,2,[]]"),
        (#"{ "b" : 1 , "a" : [ ] }"#, #"{"a":[],"b":1}"#),
        (" \n{\"a\":{\"b\":[null,true,false]}}\r\n", #"{"a":{"b":[null,true,false]}}"#),
        (#"{"é":1,"z":2,"Z":3,"aa":4,"a":5,"":6}"#, #"{"":6,"Z":3,"a":5,"aa":4,"z":2,"é":1}"#),
        // UTF-8 byte order differs from UTF-16 order here: U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80).
        ("{\"😀\":1,\"\u{FF61}\":2}", "{\"\u{FF61}\":2,\"😀\":1}"),
        (#"{"a\u0000":1,"a":2}"#, #"{"a":2,"a\u0000":1}"#),
        (#"[{"k":"v"},{"k":"w"}]"#, #"[{"k":"v"},{"k":"w"}]"#),
    ] as [(String, String)])
    func canonicalEncodingOfAcceptedDocuments(input: String, canonical: String) throws {
        let value = try JSONValue.parse(input)
        #expect(value.canonicalString == canonical)
        #expect(value.canonicalBytes() == Array(canonical.utf8))
    }

    @Test func canonicalOutputIsIndependentOfInsertionOrder() {
        var random = SeededGenerator(seed: 7)
        let keys = ["id", "kind", "at", "by", "payload", "é", "Z", "z", "a", "aa", "", "😀", "\u{FF61}", "\u{1}"]
        let expected = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, JSONValue.int(Int64($0))) }))
        let expectedBytes = expected.canonicalBytes()
        for trial in 0..<50 {
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(trial)
            for (index, key) in keys.enumerated().shuffled(using: &random) {
                members[key] = .int(Int64(index))
            }
            let value = JSONValue.object(members)
            #expect(value.canonicalBytes() == expectedBytes)
            #expect(value.sha256 == expected.sha256)
            #expect(value == expected)
            #expect(value.hashValue == expected.hashValue)
        }
    }

    @Test func sha256IsTheDigestOfCanonicalBytes() {
        let value: JSONValue = ["a": 1]
        #expect(value.canonicalString == #"{"a":1}"#)
        #expect(value.sha256Hex == "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862")
        #expect(value.sha256 == SHA256.hash(#"{"a":1}"#))
    }

    @Test func prettyStringSortsKeysAndIndentsByTwoSpaces() {
        let value: JSONValue = ["b": [1, "x", [], [:]], "a": nil, "c": ["d": true]]
        #expect(value.prettyString() == """
            {
              "a": null,
              "b": [
                1,
                "x",
                [],
                {}
              ],
              "c": {
                "d": true
              }
            }
            """)
        #expect(JSONValue.int(5).prettyString() == "5")
        #expect(JSONValue.array([]).prettyString() == "[]")
    }

    @Test func accessorsReturnValuesOnlyForTheirKind() {
        let value: JSONValue = ["s": "text", "i": 42, "b": false, "a": [1], "o": ["k": nil], "n": nil]
        #expect(value["s"]?.stringValue == "text")
        #expect(value["i"]?.intValue == 42)
        #expect(value["b"]?.boolValue == false)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?.objectValue == ["k": .null])
        #expect(value["n"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?.intValue == nil)
        #expect(value["i"]?.stringValue == nil)
        #expect(value["s"]?["k"] == nil)
        #expect(value["o"]?["k"]?.isNull == true)
        #expect(value.isNull == false)
    }

    @Test func equalityComparesStringBytesNotCanonicalEquivalence() {
        let composed: JSONValue = "\u{E9}"
        let decomposed: JSONValue = "e\u{301}"
        #expect(composed != decomposed)
        #expect(JSONValue.object(["\u{E9}": 1]) != JSONValue.object(["e\u{301}": 1]))
        #expect(Set([composed, decomposed]).count == 2)
    }
}

import Testing
import TestSupport
import Shared

@Suite struct JSONRoundTripTests {
    /// Builds random values: every kind, nested up to `depth`, strings with control, astral and combining characters.
    struct ValueFactory {
        var random: SeededGenerator

        mutating func makeValue(depth: Int) -> JSONValue {
            let kind = Int.random(in: 0..<(depth > 0 ? 7 : 5), using: &random)
            switch kind {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &random))
            case 2: return .int(makeInteger())
            case 3, 4: return .string(makeString())
            case 5:
                return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in makeValue(depth: depth - 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<Int.random(in: 0...4, using: &random) {
                    members[makeString()] = makeValue(depth: depth - 1)
                }
                return .object(members)
            }
        }

        mutating func makeInteger() -> Int64 {
            switch Int.random(in: 0..<6, using: &random) {
            case 0: return [Int64.min, Int64.max, Int64.min + 1, Int64.max - 1, 0, -1, 1][Int.random(in: 0..<7, using: &random)]
            case 1: return Int64.random(in: -1000...1000, using: &random)
            default: return Int64.random(in: .min ... .max, using: &random)
            }
        }

        mutating func makeString() -> String {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                let value: UInt32
                switch Int.random(in: 0..<8, using: &random) {
                case 0: value = UInt32.random(in: 0x00...0x1F, using: &random)
                case 1: value = [0x22, 0x5C, 0x2F, 0x7F, 0x20][Int.random(in: 0..<5, using: &random)]
                case 2: value = UInt32.random(in: 0x80...0x7FF, using: &random)
                case 3: value = UInt32.random(in: 0x800...0xD7FF, using: &random)
                case 4: value = UInt32.random(in: 0xE000...0xFFFF, using: &random)
                case 5: value = UInt32.random(in: 0x10000...0x10FFFF, using: &random)
                case 6: value = UInt32.random(in: 0x300...0x36F, using: &random)  // combining marks
                default: value = UInt32.random(in: 0x21...0x7E, using: &random)
                }
                scalars.append(Unicode.Scalar(value)!)
            }
            return String(scalars)
        }
    }

    @Test func canonicalBytesParseBackToTheSameValue() throws {
        var factory = ValueFactory(random: SeededGenerator(seed: 0x4A53_4F4E))
        for _ in 0..<2000 {
            let value = factory.makeValue(depth: 4)
            let bytes = value.canonicalBytes()
            let reparsed = try JSONValue.parse(bytes)
            #expect(reparsed == value)
            #expect(reparsed.canonicalBytes() == bytes)
            #expect(try JSONValue.parse(value.canonicalString) == value)
            #expect(try JSONValue.parse(value.prettyString()) == value)
        }
    }

    @Test func deepestAllowedValueRoundTrips() throws {
        var value: JSONValue = "leaf"
        for level in 0..<64 { value = level % 2 == 0 ? [value] : ["k": value] }
        #expect(try JSONValue.parse(value.canonicalBytes()) == value)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(JSONValue.array([value]).canonicalBytes()) }
    }
}

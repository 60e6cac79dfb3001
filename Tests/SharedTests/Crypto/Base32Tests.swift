import Testing
import TestSupport
import Shared

@Suite struct Base32Tests {
    /// RFC 4648 section 10 test vectors, padding removed.
    @Test(arguments: [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"),
        ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: ["mzxw6ytboi", "MZXW-6YTB-OI", "mzxw 6ytb oi", " MzXw-6yTb OI- "])
    func decodeToleratesCaseSpacesAndDashes(_ typed: String) {
        #expect(Base32.decode(typed) == Array("foobar".utf8))
    }

    @Test(arguments: ["MZXW6YTBO0", "MZXW6YTBO1", "MZXW6YTB8I", "MZXW6YTB9I", "MY======", "MZ_XQ", "MZ.XQ",
                      "MZ\tXQ", "MZ\nXQ", "MZXQé", "MZ+XQ", "MZ/XQ"])
    func decodeRejectsOtherCharacters(_ typed: String) {
        #expect(Base32.decode(typed) == nil)
    }

    @Test(arguments: ["M", "MZX", "MZXW6Y"])
    func decodeRejectsLengthsNoEncodingProduces(_ typed: String) {
        #expect(Base32.decode(typed) == nil)
    }

    @Test(arguments: ["MZ", "MZXR", "MZXW7", "MZXW6YR", "MZXW6YTBOJ"])
    func decodeRejectsNonZeroTrailingBits(_ typed: String) {
        #expect(Base32.decode(typed) == nil)
    }

    @Test func groupedJoinsGroupsWithDashes() {
        #expect(Base32.grouped(Array("foobar".utf8)) == "MZXW-6YTB-OI")
        #expect(Base32.grouped(Array("foobar".utf8), groupSize: 5) == "MZXW6-YTBOI")
        #expect(Base32.grouped(Array("fooba".utf8)) == "MZXW-6YTB")
        #expect(Base32.grouped([]) == "")
    }

    @Test func randomBytesRoundTripThroughGroupedCodes() {
        var random = SeededGenerator(seed: 32)
        for length in 0..<40 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(Base32.decode(Base32.encode(bytes)) == bytes)
            #expect(Base32.decode(Base32.grouped(bytes).lowercased()) == bytes)
        }
    }
}

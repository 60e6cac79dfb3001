import Testing
import Shared

@Suite struct HexTests {
    @Test func encodesLowercase() {
        #expect(Hex.encode([0x00, 0x01, 0xab, 0xff]) == "0001abff")
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test func decodesEitherCase() {
        #expect(Hex.decode("0001abff") == [0x00, 0x01, 0xab, 0xff])
        #expect(Hex.decode("0001ABFF") == [0x00, 0x01, 0xab, 0xff])
        #expect(Hex.decode("") == [])
    }

    @Test(arguments: ["0", "abc", "0g", "zz", " 00", "00 ", "0x00", "é0"])
    func rejectsOddLengthAndNonHexCharacters(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func roundTripsEveryByte() {
        let all = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(all)) == all)
    }
}

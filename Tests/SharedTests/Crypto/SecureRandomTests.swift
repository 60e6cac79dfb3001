import Testing
import Shared

@Suite struct SecureRandomTests {
    @Test func bytesHaveTheRequestedLength() {
        for count in [0, 1, 7, 8, 9, 16, 33] {
            #expect(SecureRandom.bytes(count).count == count)
        }
        #expect(SecureRandom.hex(16).count == 32)
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
    }

    @Test func uuidIsLowercaseVersion4WithRFC9562Variant() {
        for _ in 0..<50 {
            let uuid = Array(SecureRandom.uuid().utf8)
            #expect(uuid.count == 36)
            for (index, character) in uuid.enumerated() {
                if [8, 13, 18, 23].contains(index) {
                    #expect(character == UInt8(ascii: "-"))
                } else {
                    #expect(Array("0123456789abcdef".utf8).contains(character))
                }
            }
            #expect(uuid[14] == UInt8(ascii: "4"))
            #expect(Array("89ab".utf8).contains(uuid[19]))
        }
        #expect(SecureRandom.uuid() != SecureRandom.uuid())
    }
}

import Foundation
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

    @Test func uuid7CarriesItsMillisecondsFirstAndSortsByThem() {
        let millisecondsHex = { (uuid: String) in uuid.replacingOccurrences(of: "-", with: "").prefix(12) }
        let now: Int64 = 1_796_645_000_123   // 2026-12-07
        for _ in 0..<50 {
            let uuid = SecureRandom.uuid7(milliseconds: now)
            let bytes = Array(uuid.utf8)
            #expect(bytes.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") })
            #expect(uuid.replacingOccurrences(of: "-", with: "").allSatisfy { "0123456789abcdef".contains($0) })
            #expect(bytes[14] == UInt8(ascii: "7"))
            #expect(Array("89ab".utf8).contains(bytes[19]))
            #expect(millisecondsHex(uuid) == "01a2506313bb")
        }
        #expect(SecureRandom.uuid7(milliseconds: now) != SecureRandom.uuid7(milliseconds: now))
        // Later milliseconds sort after, whatever the random bits.
        let ids = (0..<200).map { SecureRandom.uuid7(milliseconds: now + Int64($0)) }
        #expect(ids == ids.sorted())
        // Out-of-range clocks are clamped, never wrapped.
        #expect(millisecondsHex(SecureRandom.uuid7(milliseconds: -5)) == "000000000000")
        #expect(millisecondsHex(SecureRandom.uuid7(milliseconds: .max)) == "ffffffffffff")
    }

    @Test func uuid7WithGivenRandomBytesIsTheSameOnEveryCallAndKeepsVersionAndVariant() {
        let now: Int64 = 1_796_645_000_123
        let ones = [UInt8](repeating: 0xff, count: 10)
        #expect(SecureRandom.uuid7(milliseconds: now, random: ones) == "01a25063-13bb-7fff-bfff-ffffffffffff")
        let zeros = [UInt8](repeating: 0, count: 10)
        #expect(SecureRandom.uuid7(milliseconds: now, random: zeros) == "01a25063-13bb-7000-8000-000000000000")
        let counting = (0..<10).map { UInt8($0 * 17) }
        #expect(SecureRandom.uuid7(milliseconds: 0, random: counting) == "00000000-0000-7011-a233-445566778899")
        #expect(SecureRandom.uuid7(milliseconds: now, random: counting) == SecureRandom.uuid7(milliseconds: now, random: counting))
    }
}

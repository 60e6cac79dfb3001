import Testing
import TestSupport
import Shared

@Suite struct SHA256Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let message: String
        let digest: String
        var testDescription: String { name }
    }

    /// FIPS 180-4 / NIST CSRC example values for SHA-256.
    static let nistVectors: [Vector] = [
        Vector(name: "empty", message: "",
               digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Vector(name: "abc", message: "abc",
               digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        Vector(name: "448 bits", message: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
               digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        Vector(name: "896 bits",
               message: "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
               digest: "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test(arguments: nistVectors)
    func nistExampleDigests(_ vector: Vector) {
        #expect(Hex.encode(SHA256.hash(vector.message)) == vector.digest)
        #expect(Hex.encode(SHA256.hash(Array(vector.message.utf8))) == vector.digest)
    }

    @Test func oneMillionLetterA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(Hex.encode(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))) == expected)
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(Hex.encode(hasher.finalize()) == expected)
    }

    /// Digests of bytes `i % 251` around the 55/56/64-byte padding boundaries, computed offline with an independent implementation.
    @Test(arguments: [
        (55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"),
        (56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"),
        (57, "2fe741af801cc238602ac0ec6a7b0c3a8a87c7fc7d7f02a3fe03d1c12eac4d8f"),
        (63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"),
        (64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"),
        (65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"),
        (111, "60780e9451bdc43cf4530ffc95cbb0c4eb24dae2c39f55f334d679e076c08065"),
        (112, "09373f127d34e61dbbaa8bc4499c87074f2ddb10e1b465f506d7d70a15011979"),
        (119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"),
        (120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c"),
        (127, "92ca0fa6651ee2f97b884b7246a562fa71250fedefe5ebf270d31c546bfea976"),
        (128, "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5"),
        (129, "5099c6a56203f9687f7d33f4bfdf576d31dc91f6b695ecea38b2770c87631135"),
    ])
    func paddingBoundaryDigests(length: Int, digest: String) {
        let message = (0..<length).map { UInt8($0 % 251) }
        #expect(Hex.encode(SHA256.hash(message)) == digest)
    }

    @Test func byteByByteUpdatesMatchOneShotForLengthsAroundBlockBoundaries() {
        for length in 0...200 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let oneShot = SHA256.hash(message)
            var byteByByte = SHA256()
            for byte in message { byteByByte.update([byte]) }
            var nonContiguous = SHA256()
            nonContiguous.update(message.lazy.map { $0 })
            var raw = SHA256()
            message.withUnsafeBytes { raw.update($0) }
            #expect(byteByByte.finalize() == oneShot, "length \(length)")
            #expect(nonContiguous.finalize() == oneShot, "length \(length)")
            #expect(raw.finalize() == oneShot, "length \(length)")
        }
    }

    @Test func updatesSplitAtRandomPointsMatchOneShot() {
        var random = SeededGenerator(seed: 0x5348_4132_3536)
        for _ in 0..<100 {
            let length = Int.random(in: 0...700, using: &random)
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            var hasher = SHA256()
            var start = 0
            while start < length {
                let end = min(length, start + Int.random(in: 0...150, using: &random))
                hasher.update(message[start..<end])
                start = end
            }
            #expect(hasher.finalize() == SHA256.hash(message), "length \(length)")
        }
    }

    @Test func nonContiguousSequenceLongerThanStagingBufferMatchesOneShot() {
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var hasher = SHA256()
        hasher.update(message.lazy.map { $0 })
        #expect(hasher.finalize() == SHA256.hash(message))
    }

    @Test func finalizeLeavesTheHasherUsable() {
        var hasher = SHA256()
        hasher.update("ab")
        #expect(hasher.finalize() == hasher.finalize())
        hasher.update("c")
        #expect(Hex.encode(hasher.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func stringsHashTheirUTF8BytesWithoutNormalisation() {
        let composed = "\u{E9}"
        let decomposed = "e\u{301}"
        #expect(SHA256.hash(composed) == SHA256.hash([0xC3, 0xA9]))
        #expect(SHA256.hash(decomposed) == SHA256.hash([0x65, 0xCC, 0x81]))
        #expect(SHA256.hash(composed) != SHA256.hash(decomposed))
    }
}

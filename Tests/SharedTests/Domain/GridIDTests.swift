import Testing
import TestSupport
@testable import Shared

@Suite struct GridIDTests {
    /// The byte splitter gives the parts the character splitter gives, on valid and hostile names.
    @Test func slashPartsEqualTheCharacterSplit() {
        let names = [
            "grid/ndrc-e4-ccf/2026/02614001/final", "", "/", "//", "a//b/", "grid/x/y/z/A-1f",
            "grid/é/2026/1/final", "a/\u{301}b", "/\u{301}/x", "grid/ndrc/2026/0261\u{0}4/final", "🙂/🙂//",
        ]
        var rng = SeededGenerator(seed: 42)
        let alphabet: [Character] = ["/", "a", "é", "\u{301}", "-", "0", "🙂"]
        let random = (0..<500).map { _ in String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }) }
        for name in names + random {
            let expected = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            #expect(GridID.slashParts(name) == expected, "\(name.unicodeScalars.map { $0.value })")
        }
    }

    @Test func aSignerMakesTheReceiptsOfReceiptMake() {
        let key = Array("une clé de test assez longue pour HMAC".utf8)
        let signer = Receipt.Signer(key: key)
        let event = Event(id: "e-1", entity: "grid/ndrc-e4-ccf/2026/02614001/final", field: "note", value: .int(14),
                          hlc: HybridLogicalClock(wall: 1_700_000_000_000, counter: 3, device: "dev-a"), author: "ev-0101", prev: [])
        let receipt = signer.receipt(id: event.id, canonicalBytes: event.canonicalBytes)
        #expect(receipt == Receipt.make(for: event, key: key))
        #expect(Receipt.isValid(receipt, for: event, key: key))
    }
}

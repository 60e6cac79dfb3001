import Testing
import TestSupport
@testable import Shared

@Suite struct EventTests {
    /// The direct writer of `Event.canonicalBytes` against the generic canonical encoder of `Event.json`,
    /// on random histories and on texts that need escaping.
    @Test func canonicalBytesEqualTheCanonicalEncodingOfTheWireObject() throws {
        var events: [Event] = []
        for seed in UInt64(0)..<300 { events += RandomHistory.make(seed: seed).events }
        let awkward = ["", "\"guillemets\" et \\ barre", "ligne\nretour\r\ttab\u{1}\u{1F}\u{7F}", "é 🙂 \u{301}", "</script>"]
        for (n, text) in awkward.enumerated() {
            events.append(Event(id: "e-\(n)", entity: "grid/ndrc-e4-ccf/2026/02614001/final", field: "comment/prospection.1",
                                value: .object(["texte": .string(text), "liste": .array([.int(-7), .bool(true), .null])]),
                                hlc: HybridLogicalClock(wall: Int64(n) * 1_000_000_007, counter: Int64.max - Int64(n), device: "dev-\(n)"),
                                author: "ev-0101", prev: ["b-\(n)", "a-\(n)", "c"]))
        }
        for event in events {
            #expect(event.canonicalBytes == event.json.canonicalBytes(), "\(event.id)")
            #expect(try Event(bytes: event.canonicalBytes) == event)
        }
    }
}

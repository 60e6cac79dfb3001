import Foundation
import Testing
import TestSupport
@testable import Server
@testable import Shared

@Suite struct WorkflowAdmissionTests {
    /// One event pushed by a device, and the code the server answers (nil = accepted).
    @Test(arguments: [
        ("ev-0101", "grid/ndrc-e4-ccf/2026/02614001/A-1a2b", "level/prospection.1", JSONValue.string("S"), nil as String?),
        ("ev-0102", "grid/ndrc-e4-ccf/2026/02614001/A-1a2b", "level/prospection.1", JSONValue.string("S"), "not_teacher"),
        ("ev-0101", "conformity/2026/02614001/ndrc-e4-ccf", "status", JSONValue.string("short_internship"), nil),
        ("ev-0101", "conformity/2026/02614001/ndrc-e4-ccf", "status", JSONValue.string("late"), "bad_conformity"),
        ("ev-0101", "conformity/2026/02614001/ndrc-e4-ccf", "colour", JSONValue.string("x"), "unknown_field"),
        ("ev-0105", "conformity/2026/02614001/ndrc-e4-ccf", "status", JSONValue.string("absent"), "not_member"),
        ("ev-0101", "grid/ndrc-e4-ccf/2026/02614001/final", "signature/ev-0102",
         JSONValue.object(["content": .string(String(repeating: "a", count: 64)), "name": "BENALI Karim", "witness": "ev-0101"]), nil),
        ("ev-0101", "grid/ndrc-e4-ccf/2026/02614001/final", "signature/ev-0102",
         JSONValue.object(["content": .string(String(repeating: "a", count: 64))]), "foreign_signature"),
        ("ev-0101", "grid/ndrc-e4-ccf/2026/02614001/final", "signature/ev-0105",
         JSONValue.object(["content": .string(String(repeating: "a", count: 64)), "name": "X", "witness": "ev-0101"]), "foreign_signature"),
        ("ev-0101", "grid/ndrc-e4-ccf/2026/02614001/final", "harmonisation", JSONValue.object(["note": 30, "reason": "x", "by": "ev-0101"]), "coordinator_only"),
    ])
    func eachRuleAcceptsOrRefuses(author: String, entity: String, field: String, value: JSONValue, code: String?) throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (device, _) = try f.device(author)
        let event = Event(id: SecureRandom.uuid(), entity: entity, field: field, value: value,
                          hlc: HybridLogicalClock(wall: f.clock.nowMilliseconds(), counter: 0, device: device.id), author: author, prev: [])
        let answer = try f.store.push(PushRequest(events: [event]), from: device)
        if let code {
            #expect(answer.rejected.first?.code == code, "\(answer.rejected)")
            #expect(answer.rejected.first?.message.isEmpty == false)
        } else {
            #expect(answer.accepted.count == 1, "\(answer.rejected)")
        }
    }
}

@Suite struct WorkflowTests {
    func completeFinal(_ f: ServerFixture, device: Device) throws {
        var events: [Event] = [f.event("option", "evenement", by: "ev-0101", device: device.id)]
        for c in ["prospection.1", "prospection.2", "prospection.3", "prospection.4", "evenement.1", "evenement.2", "evenement.3", "information.1", "information.2"] {
            events.append(f.event("level/\(c)", "S", by: "ev-0101", device: device.id))
        }
        events.append(f.event("note", 28, by: "ev-0101", device: device.id))
        events.append(f.event("appreciation/A", "Bonne prospection <b>réelle</b> ; DROP TABLE events;", by: "ev-0101", device: device.id))
        #expect(try f.store.push(PushRequest(events: events), from: device).accepted.count == events.count)
    }

    @Test func harmonisationKeepsTheProposalNeedsAReasonAndLeavesSignaturesValid() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (device, _) = try f.device("ev-0101")
        try completeFinal(f, device: device)
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        let hash = try f.store.gridView(GridID(entity: grid)!).signedContentHash
        _ = try f.store.push(PushRequest(events: [f.event("signature/ev-0101", .object(["content": .string(hash)]), by: "ev-0101", device: device.id)]), from: device)
        #expect(throws: ServerError.self) { try f.store.harmonise(grid, halfPoints: 30, reason: "  ", by: "ev-0104") }
        #expect(throws: ServerError.self) { try f.store.harmonise(grid, halfPoints: 30, reason: "écart", by: "ev-0101") }   // a teacher
        #expect(throws: ServerError.self) { try f.store.harmonise(grid, halfPoints: 30, reason: "écart", by: "ev-0107") }   // another school's coordinator
        let view = try f.store.harmonise("02614001/final", halfPoints: 30, reason: "Écart avec les profils comparables", by: "ev-0104")
        #expect(view.note == 28)
        #expect(view.harmonisation?.note == 30)
        #expect(view.retainedNote == 30)
        #expect(view.signatures.first?.valid == true)
        #expect(view.status == "signed")
    }

    @Test func sessionsAreDeliberatedThenPublishedAndLaterWritesAreQuarantined() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (device, _) = try f.device("ev-0101")
        try completeFinal(f, device: device)
        #expect(throws: ServerError.self) { try f.store.setSessionState("2026", to: .published, by: "ev-0112") }   // not deliberated
        #expect(throws: ServerError.self) { try f.store.setSessionState("2026", to: .deliberated, by: "ev-0104") }  // not academy
        try f.store.setSessionState("2026", to: .deliberated, by: "ev-0112")
        let late = f.event("note", 40, by: "ev-0101", device: device.id)
        let answer = try f.store.push(PushRequest(events: [late]), from: device)
        #expect(answer.rejected.first?.code == "session_deliberated")
        #expect(answer.rejected.first?.quarantined == true)
        #expect(try f.store.gridView(GridID(entity: "grid/ndrc-e4-ccf/2026/02614001/final")!).note == 28)
        #expect(try f.store.quarantine().contains { $0.event.id == late.id })
        #expect(throws: ServerError.self) { try f.store.harmonise("02614001/final", halfPoints: 30, reason: "x", by: "ev-0104") }
        try f.store.setSessionState("2026", to: .published, by: "ev-0112")
        #expect(try GridLoader.sessionState("2026", in: f.store.db) == .published)
    }

    @Test func purgeIsRefusedBeforeRetentionThenLeavesNoByteAndRefusesLaterPushes() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (device, _) = try f.device("ev-0101")
        try completeFinal(f, device: device)
        _ = try f.store.push(PushRequest(events: [f.event("comment/prospection.1", "Remarque-Secrète-XYZ", by: "ev-0101", device: device.id)]), from: device)
        #expect(throws: ServerError.self) { try f.store.purge(session: "2026", by: "ev-0112", force: false) }
        #expect(throws: ServerError.self) { try f.store.purge(session: "2026", by: "ev-0104", force: true) }
        let report = try f.store.purge(session: "2026", by: "ev-0112", force: true)
        #expect(report.grids == 1)
        #expect(report.events >= 12)
        for suffix in ["", "-wal", "-journal"] {
            let path = f.store.path + suffix
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            #expect(data.range(of: Data("Remarque-Secrète-XYZ".utf8)) == nil, "comment bytes left in \(path)")
            #expect(data.range(of: Data("grid/ndrc-e4-ccf/2026/02614001".utf8)) == nil, "grid id left in \(path)")
        }
        let again = try f.store.push(PushRequest(events: [f.event("note", 30, by: "ev-0101", device: device.id)]), from: device)
        #expect(again.rejected.first?.code == "session_purged")
        #expect(again.rejected.first?.quarantined == false)
        #expect(try f.store.db.scalarInt("SELECT count(*) FROM events WHERE entity LIKE 'grid/%'") == 0)
        let pull = try f.store.pull(device: device, after: 0, limit: 10_000, ack: nil)
        #expect(pull.controls.contains { $0.type == "purge" && $0.scope == "session/2026" })
        #expect(try f.store.db.scalarString("SELECT detail FROM audit WHERE action = 'purge'")?.contains("1 grilles") == true)
    }
}

import Testing
import TestSupport
@testable import Agent
@testable import Shared

/// `Prefill.plan`, the pure rule behind `grid new --situation final --prefill`.
@Suite struct PrefillTests {
    static let template = try! TemplateCatalog.bundled()["ndrc-e4-ccf"]!

    /// A merged grid from `(field, value, wall)` writes, one event each.
    static func make(_ situation: String, _ writes: [(String, JSONValue, Int64)]) throws -> GridView {
        let id = GridID(template: template.id, session: "2026", candidate: "02614001", situation: situation)
        var fields: [String: FieldState] = [:]
        for (index, (field, value, wall)) in writes.enumerated() {
            let event = Event(id: "\(situation)-\(index)", entity: id.entity, field: field, value: value,
                              hlc: HybridLogicalClock(wall: wall, counter: 0, device: "dev"), author: "ev-0101", prev: [])
            fields[field] = Merge.fieldState([event])
        }
        return try GridView(id: id, template: template, fields: fields)
    }

    @Test(arguments: [
        // given option, final grid's option, B grid's option → option of the plan, criteria taken from B
        (nil, nil, "negociation", "negociation", ["negociation.1"]),
        ("evenement", nil, "evenement", "evenement", ["evenement.1"]),
        ("evenement", nil, "negociation", "evenement", []),
        (nil, "evenement", "negociation", "evenement", []),
        (nil, nil, nil, nil, []),
    ] as [(String?, String?, String?, String?, [String])])
    func theOptionComesFromTheCommandLineThenTheFinalGridThenTheSimulation(given: String?, existing: String?, simulation: String?,
                                                                          expected: String?, fromB: [String]) throws {
        let final = try Self.make("final", existing.map { [("option", .string($0), 1)] } ?? [])
        // The B grid holds a level of each option; only the one of its own option is in scope there.
        let b = try Self.make("B", (simulation.map { [("option", JSONValue.string($0), 1)] } ?? [])
                                   + [("level/negociation.1", "TS", 2), ("level/evenement.1", "I", 2)])
        let plan = Prefill.plan(final: final, interviews: [], simulation: b, option: given)
        #expect(plan.option == expected)
        #expect(plan.entries.filter { $0.source.situation == "B" }.map(\.criterion) == fromB)
    }

    @Test func theLatestInterviewByDateWinsThenTheLaterEntryAndDeletedOrUndatedInterviewsGiveWay() throws {
        let undated = try Self.make("A-0", [("level/prospection.1", "TS", 900), ("level/information.2", "TI", 900)])
        let january = try Self.make("A-1", [("date", "2026-01-10", 1), ("level/prospection.1", "I", 100), ("level/prospection.2", "I", 100)])
        let february = try Self.make("A-2", [("date", "2026-02-10", 1), ("level/prospection.1", "S", 50)])
        let januaryLater = try Self.make("A-3", [("date", "2026-01-10", 1), ("level/prospection.2", "TS", 200)])
        let deleted = try Self.make("A-4", [("date", "2026-03-01", 1), ("status", "deleted", 1), ("level/prospection.1", "TI", 300)])
        let final = try Self.make("final", [("option", "evenement", 1), ("level/information.1", "S", 5)])
        let plan = Prefill.plan(final: final, interviews: [february, deleted, januaryLater, undated, january], simulation: nil, option: nil)
        let levels = Dictionary(uniqueKeysWithValues: plan.entries.map { ($0.criterion, ($0.level, $0.source.situation)) })
        #expect(levels["prospection.1"]! == ("S", "A-2"))
        #expect(levels["prospection.2"]! == ("TS", "A-3"))
        #expect(levels["information.2"]! == ("TI", "A-0"), "an undated interview is still a source")
        #expect(levels["information.1"] == nil, "a level already on the final grid is never replaced")
        #expect(plan.unsourced == ["prospection.3", "prospection.4", "evenement.1", "evenement.2", "evenement.3"])
        #expect(plan.entries.map(\.criterion) == ["prospection.1", "prospection.2", "information.2"], "template order")
    }
}

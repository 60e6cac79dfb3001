import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import Shared

@Suite struct LocalStoreTests {
    /// Rows of the state table, for exact comparisons (not only the hash).
    static func stateRows(_ store: LocalStore) throws -> [Row] {
        try store.db.query("SELECT entity, field, value, event_id, author, device, wall, counter, heads, conflict FROM state ORDER BY entity, field")
    }

    @Test func theClockNeverGoesBackwardsAcrossRestartsAndWallClockJumps() throws {
        let tmp = TemporaryDirectory("clock")
        defer { tmp.remove() }
        let clock = ManualClock()
        var stamps: [HybridLogicalClock] = []
        var rng = SeededGenerator(seed: 7)
        for round in 0..<40 {
            let store = try LocalStore(directory: tmp.path, clock: clock)   // a restart each round
            for _ in 0..<5 {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: clock.advance(-Int64.random(in: 1...86_400_000, using: &rng))   // set back up to a day
                case 1: clock.advance(Int64.random(in: 1...3_600_000, using: &rng))
                default: break                                                          // frozen clock
                }
                let events = try store.append([.init(entity: "grid/t/2026/c/final", field: "note", value: .int(Int64(round)))], author: "ev")
                stamps.append(events[0].hlc)
            }
        }
        for (a, b) in zip(stamps, stamps.dropFirst()) { #expect(a < b, "\(a) then \(b)") }
    }

    @Test func localEventIdsAreVersion7UUIDsThatCarryTheirStampsMilliseconds() throws {
        let tmp = TemporaryDirectory("uuid7")
        defer { tmp.remove() }
        let clock = ManualClock(1_796_645_000_123)
        let store = try LocalStore(directory: tmp.path, clock: clock)
        var written: [(wall: Int64, id: String)] = []
        for n in 0..<20 {
            clock.advance(Int64(n % 3))   // a few writes in the same millisecond
            let event = try store.append([.init(entity: "grid/t/2026/c/final", field: "comment/a", value: .int(Int64(n)))], author: "ev")[0]
            let hex = event.id.replacingOccurrences(of: "-", with: "")
            #expect(Array(event.id.utf8)[14] == UInt8(ascii: "7"))
            #expect(Int64(hex.prefix(12), radix: 16) == event.hlc.wall)
            written.append((event.hlc.wall, event.id))
        }
        // A write of a later millisecond has a greater id (the id index grows at its end).
        #expect(Set(written.map(\.wall)).count > 5)
        for a in written { for b in written where a.wall < b.wall { #expect(a.id < b.id) } }
        #expect(Set(written.map(\.id)).count == written.count)
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE id LIKE '________-____-7___-%'") == 20)
    }

    @Test func remoteEventsAdvanceTheClockSoLaterLocalWritesSortAfterThem() throws {
        let tmp = TemporaryDirectory("clock2")
        defer { tmp.remove() }
        let clock = ManualClock(1_000_000)
        let store = try LocalStore(directory: tmp.path, clock: clock)
        let remote = Event(id: "r1", entity: "grid/t/2026/c/final", field: "note", value: .int(20),
                           hlc: HybridLogicalClock(wall: 5_000_000, counter: 12_000, device: "dev-other"), author: "ev-2", prev: [])
        try store.applyRemote([remote])
        let local = try store.append([.init(entity: remote.entity, field: remote.field, value: .int(30))], author: "ev-1")[0]
        #expect(remote.hlc < local.hlc)
        #expect(local.prev == ["r1"])
        let state = try Materializer.fieldStates(entity: remote.entity, in: store.db)["note"]!
        #expect(state.winner.id == local.id)
        #expect(!state.isConflict)
    }

    @Test func rebuildEqualsTheIncrementalStateAfterRandomCLISessions() throws {
        let silent = AgentCLI.OutputSink(out: { _ in }, err: { _ in })
        var totalCommands = 0
        var failedCommands = 0
        for seed in 0..<12 as Range<UInt64> {
            let tmp = TemporaryDirectory("rebuild")
            defer { tmp.remove() }
            var rng = SeededGenerator(seed: seed)
            let clock = ManualClock()
            func cli(_ args: [String]) -> Int32 {
                clock.advance(Int64.random(in: -5_000...5_000, using: &rng))
                totalCommands += 1
                let status = AgentCLI.run(["--data", tmp.path] + args, clock: clock, environment: [:], sink: silent)
                if status != 0 { failedCommands += 1 }
                return status
            }
            #expect(cli(["roster", "import", Repository.demoRoster]) == 0)
            #expect(cli(["whoami", "--as", "ev-0101"]) == 0)
            #expect(cli(["grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final"]) == 0)
            let candidates = ["02614001", "02614002", "02614003"]
            let criteria = ["prospection.1", "prospection.2", "information.1", "evenement.1", "negociation.2", "nope.1"]
            for _ in 0..<40 {
                let candidate = candidates.randomElement(using: &rng)!
                let grid = "\(candidate)/final"
                switch Int.random(in: 0..<8, using: &rng) {
                case 0:
                    let situation = ["final", "A", "B"].randomElement(using: &rng)!
                    let option = situation == "A" ? [] : ["--option", ["evenement", "negociation"].randomElement(using: &rng)!]
                    _ = cli(["grid", "new", "--candidate", candidate, "--template", "ndrc-e4-ccf", "--situation", situation] + option)
                case 1, 2: _ = cli(["grid", "set", grid, criteria.randomElement(using: &rng)!, ["TI", "I", "S", "TS", "X"].randomElement(using: &rng)!])
                case 3: _ = cli(["grid", "clear", grid, criteria.randomElement(using: &rng)!])
                case 4: _ = cli(["grid", "comment", grid, criteria.randomElement(using: &rng)!, "Commentaire \(Int.random(in: 0...99, using: &rng))"])
                case 5: _ = cli(["grid", "field", grid, ["note", "appreciation-A", "option"].randomElement(using: &rng)!,
                                 ["12,5", "evenement", "Très bien", "25"].randomElement(using: &rng)!])
                case 6: _ = cli(["grid", "sign", grid])
                default: _ = cli(["grid", "field", grid, "option", ["evenement", "negociation"].randomElement(using: &rng)!])
                }
            }
            let store = try LocalStore(directory: tmp.path, clock: clock)
            let incremental = try Self.stateRows(store)
            let hash = try store.stateHash()
            try store.rebuild()
            #expect(try Self.stateRows(store) == incremental, "seed \(seed)")
            #expect(try store.stateHash() == hash, "seed \(seed)")
            // And equal to the pure merge of the log.
            let events = try store.log().map(\.event)
            #expect(Merge.stateHash(Merge.fold(events).values) == hash, "seed \(seed)")
            #expect(!incremental.isEmpty)
        }
        #expect(totalCommands > 400)
        #expect(failedCommands > 0 && failedCommands < totalCommands)
    }

    @Test func remoteEventsAppliedInShuffledOrderGiveTheStateOfARebuildAndOfThePureMerge() throws {
        for seed in 0..<200 as Range<UInt64> {
            let events = RandomHistory.make(seed: seed, forgeries: false).events
            var rng = SeededGenerator(seed: seed &+ 99)
            let tmp = TemporaryDirectory("remote")
            defer { tmp.remove() }
            let first = try LocalStore(directory: tmp.sub("a"))
            let second = try LocalStore(directory: tmp.sub("b"))
            // Store a receives one event at a time in a random order (with repeats); store b in batches.
            var order = events + events.filter { _ in rng.chance(0.2) }
            order.shuffle(using: &rng)
            for event in order { try first.applyRemote([event]) }
            var batches = events.shuffled(using: &rng)
            while !batches.isEmpty {
                let n = min(batches.count, Int.random(in: 1...5, using: &rng))
                try second.applyRemote(Array(batches.prefix(n)))
                batches.removeFirst(n)
            }
            let expected = Merge.stateHash(Merge.fold(events).values)
            #expect(try first.stateHash() == expected, "seed \(seed)")
            #expect(try second.stateHash() == expected, "seed \(seed)")
            let rows = try Self.stateRows(first)
            #expect(try Self.stateRows(second) == rows)
            try first.rebuild()
            #expect(try Self.stateRows(first) == rows, "seed \(seed)")
        }
    }
}

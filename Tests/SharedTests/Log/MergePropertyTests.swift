import Testing
import TestSupport
@testable import Shared

/// The naive reference: quadratic loops, explicit tuple comparisons, nothing shared with `Merge`.
enum ReferenceMerge {
    struct Result: Equatable {
        var winner: String
        var heads: Set<String>
        var conflict: Bool
    }

    static func fold(_ events: [Event]) -> [FieldKey: Result] {
        var result: [FieldKey: Result] = [:]
        let keys = Set(events.map(\.key))
        for key in keys {
            // One event per id: the smallest canonical encoding.
            var chosen: [String: Event] = [:]
            for event in events where event.key == key {
                if let other = chosen[event.id] {
                    if lessBytes(event.json.canonicalBytes(), other.json.canonicalBytes()) { chosen[event.id] = event }
                } else {
                    chosen[event.id] = event
                }
            }
            let all = Array(chosen.values)
            var heads: [Event] = []
            for candidate in all {
                var referenced = false
                for other in all where other.prev.contains(candidate.id) { referenced = true }
                if !referenced { heads.append(candidate) }
            }
            if heads.isEmpty { heads = all }
            var winner = heads[0]
            for head in heads where greater(head, winner) { winner = head }
            var conflict = false
            for a in heads { for b in heads where a.value != b.value { conflict = true } }
            result[key] = Result(winner: winner.id, heads: Set(heads.map(\.id)), conflict: conflict)
        }
        return result
    }

    static func greater(_ a: Event, _ b: Event) -> Bool {
        if a.hlc.wall != b.hlc.wall { return a.hlc.wall > b.hlc.wall }
        if a.hlc.counter != b.hlc.counter { return a.hlc.counter > b.hlc.counter }
        if a.device != b.device { return lessBytes(Array(b.device.utf8), Array(a.device.utf8)) }
        return lessBytes(Array(b.id.utf8), Array(a.id.utf8))
    }

    static func lessBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x < y }
        return a.count < b.count
    }
}

@Suite struct MergePropertyTests {
    static let cases: UInt64 = 10_000

    @Test func mergeIsIndependentOfOrderAndDuplicationAndEqualsTheReference() {
        var conflicts = 0, forged = 0, tombstones = 0
        for seed in 0..<Self.cases {
            let history = RandomHistory.make(seed: seed)
            var rng = SeededGenerator(seed: seed ^ 0xABCDEF)
            let expected = Merge.fold(history.events)
            // Shuffled and with duplicates.
            var shuffled = history.events + history.events.filter { _ in rng.chance(0.3) }
            shuffled.shuffle(using: &rng)
            let again = Merge.fold(shuffled)
            #expect(again == expected, "seed \(seed): order or duplication changed the state")
            let reference = ReferenceMerge.fold(history.events)
            #expect(reference.count == expected.count, "seed \(seed)")
            for (key, state) in expected {
                let ours = ReferenceMerge.Result(winner: state.winner.id, heads: Set(state.heads.map(\.id)), conflict: state.isConflict)
                #expect(reference[key] == ours, "seed \(seed) key \(key): differs from the reference model")
                if state.isConflict { conflicts += 1 }
                if state.isTombstone { tombstones += 1 }
            }
            #expect(Merge.stateHash(expected.values) == Merge.stateHash(again.values), "seed \(seed)")
            if Set(history.events.map(\.id)).count != history.events.count { forged += 1 }
        }
        // The generator must really exercise the cases the property is about.
        #expect(conflicts > 1_000)
        #expect(tombstones > 1_000)
        #expect(forged > 100)
    }

    @Test func aWriteThatSawAllHeadsResolvesTheConflict() {
        var resolved = 0
        for seed in 0..<Self.cases {
            let history = RandomHistory.make(seed: seed)
            for (key, state) in Merge.fold(history.events) where state.isConflict {
                let resolution = Event(id: "resolve-\(seed)", entity: key.entity, field: key.field, value: "S",
                                       hlc: HybridLogicalClock(wall: 1, counter: 0, device: "dev-z"),  // even with an old clock
                                       author: "ev-z", prev: state.heads.map(\.id))
                let after = Merge.fold(history.events + [resolution])[key]!
                #expect(!after.isConflict)
                #expect(after.winner.id == resolution.id)
                #expect(after.heads.map(\.id) == [resolution.id])
                resolved += 1
            }
        }
        #expect(resolved > 1_000)
    }

    @Test func aWriteThatMissedAHeadKeepsTheConflictVisible() {
        let a = Event(id: "a", entity: "e", field: "f", value: "S", hlc: .init(wall: 10, counter: 0, device: "d1"), author: "x", prev: [])
        let b = Event(id: "b", entity: "e", field: "f", value: "TS", hlc: .init(wall: 10, counter: 0, device: "d2"), author: "y", prev: [])
        let c = Event(id: "c", entity: "e", field: "f", value: "I", hlc: .init(wall: 11, counter: 0, device: "d1"), author: "x", prev: ["a"])
        let state = Merge.fold([a, b, c])[FieldKey(entity: "e", field: "f")]!
        #expect(state.isConflict)
        #expect(Set(state.heads.map(\.id)) == ["b", "c"])
        #expect(state.winner.id == "c")
    }

    @Test func equalClocksAreOrderedByDeviceThenEventID() {
        let a = Event(id: "b", entity: "e", field: "f", value: "S", hlc: .init(wall: 10, counter: 3, device: "d1"), author: "x", prev: [])
        let b = Event(id: "a", entity: "e", field: "f", value: "TS", hlc: .init(wall: 10, counter: 3, device: "d2"), author: "y", prev: [])
        #expect(Merge.fold([a, b]).values.first?.winner.id == "a")
        let c = Event(id: "z", entity: "e", field: "f", value: "I", hlc: .init(wall: 10, counter: 3, device: "d2"), author: "y", prev: [])
        #expect(Merge.fold([a, b, c]).values.first?.winner.id == "z")
    }

    @Test func sameValueHeadsAreNotAConflict() {
        let a = Event(id: "a", entity: "e", field: "f", value: "draft", hlc: .init(wall: 1, counter: 0, device: "d1"), author: "x", prev: [])
        let b = Event(id: "b", entity: "e", field: "f", value: "draft", hlc: .init(wall: 1, counter: 0, device: "d2"), author: "y", prev: [])
        let state = Merge.fold([a, b]).values.first!
        #expect(state.heads.count == 2)
        #expect(!state.isConflict)
    }

    @Test func aTombstoneWinsLikeAnyValue() {
        let a = Event(id: "a", entity: "e", field: "f", value: "S", hlc: .init(wall: 1, counter: 0, device: "d1"), author: "x", prev: [])
        let b = Event(id: "b", entity: "e", field: "f", value: .null, hlc: .init(wall: 2, counter: 0, device: "d1"), author: "x", prev: ["a"])
        let state = Merge.fold([b, a]).values.first!
        #expect(state.isTombstone)
        #expect(!state.isConflict)
    }

    @Test func eventsRoundTripThroughTheirCanonicalWireForm() throws {
        for seed in 0..<200 as Range<UInt64> {
            for event in RandomHistory.make(seed: seed).events {
                #expect(try Event(bytes: event.canonicalBytes) == event)
            }
        }
    }
}

@Suite struct HybridLogicalClockTests {
    @Test func nextNeverGoesBackwardsWhateverTheWallClockDoes() {
        var rng = SeededGenerator(seed: 42)
        var last = (wall: Int64(0), counter: Int64(0))
        var previous: HybridLogicalClock?
        var now: Int64 = 1_763_824_800_000
        for _ in 0..<100_000 {
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: now -= Int64.random(in: 1...3_600_000, using: &rng)    // set back
            case 1: now += Int64.random(in: 1...3_600_000, using: &rng)    // jump ahead
            case 2...5: break                                               // same millisecond
            default: now += 1
            }
            let stamp = HybridLogicalClock.next(after: last, now: now, device: "d")
            if let previous { #expect(previous < stamp) }
            previous = stamp
            last = (stamp.wall, stamp.counter)
        }
    }

    @Test(arguments: [
        ("d1", "d2", true), ("d2", "d1", false), ("d", "d", false),
    ])
    func stampsWithEqualTimesCompareByDevice(a: String, b: String, less: Bool) {
        #expect((HybridLogicalClock(wall: 5, counter: 1, device: a) < HybridLogicalClock(wall: 5, counter: 1, device: b)) == less)
    }

    @Test func countersAboveTenThousandCompareAsIntegers() {
        #expect(HybridLogicalClock(wall: 5, counter: 9_999, device: "z") < HybridLogicalClock(wall: 5, counter: 10_001, device: "a"))
    }
}

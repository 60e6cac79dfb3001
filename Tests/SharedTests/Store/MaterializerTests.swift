import Testing
import TestSupport
@testable import Shared

/// `Materializer.apply` (the push path: only the stored heads are read) against `Materializer.rebuild`
/// (every event folded again) on random histories arriving in random batches and orders.
@Suite struct MaterializerTests {
    static let schema = """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            entity TEXT NOT NULL,
            field TEXT NOT NULL,
            body TEXT NOT NULL,
            applied INTEGER NOT NULL DEFAULT 1
        ) STRICT;
        CREATE INDEX events_by_key ON events (entity, field) WHERE applied = 1;
        \(Materializer.stateSchema)
        \(Materializer.danglingSchema)
        """

    @Test func incrementalStateEqualsTheFoldOfEveryStoredEvent() throws {
        let tmp = TemporaryDirectory("materializer"); defer { tmp.remove() }
        var slowFields = 0, fastFields = 0
        for seed in UInt64(0)..<1_500 {
            let db = try Database(path: tmp.sub("m-\(seed).sqlite"))
            try db.execute(Self.schema)
            var rng = SeededGenerator(seed: seed &* 7919)
            var arrivals = RandomHistory.make(seed: seed).events
            arrivals.shuffle(using: &rng)
            var stored = Set<String>()
            var index = 0
            while index < arrivals.count {
                let size = Int.random(in: 1...4, using: &rng)
                let batch = arrivals[index..<min(index + size, arrivals.count)]
                index += size
                var applied: [Event] = []
                try db.write {
                    for event in batch where !stored.contains(event.id) {
                        // Like the server: the first event with an id wins, a second body is refused.
                        stored.insert(event.id)
                        try Materializer.recordReferences(of: event, in: db)
                        try db.run("INSERT INTO events (id, entity, field, body) VALUES (?, ?, ?, ?)",
                                   event.id, event.entity, event.field, event.json.canonicalString)
                        applied.append(event)
                    }
                    for (key, added) in Dictionary(grouping: applied, by: \.key)
                    {
                        if try Materializer.incrementalState(of: key, adding: added, in: db) == nil { slowFields += 1 } else { fastFields += 1 }
                    }
                    try Materializer.apply(applied, in: db)
                }
                let incremental = try Materializer.stateHash(in: db)
                let kept = try db.query("SELECT body FROM events").map { try Event(bytes: Array($0.string(0).utf8)) }
                #expect(incremental == Merge.stateHash(Merge.fold(kept).values), "seed \(seed): apply differs from the fold")
            }
            let incremental = try Materializer.stateHash(in: db)
            try Materializer.rebuild(in: db)
            #expect(try Materializer.stateHash(in: db) == incremental, "seed \(seed): apply differs from rebuild")
        }
        // The histories include successors arriving before their predecessors and forged cycles: the
        // fallback to a full recomputation is exercised too.
        #expect(slowFields > 0 && fastFields > slowFields, "\(fastFields) fields by the heads, \(slowFields) recomputed")
    }
}

/// Keeps the `state` table equal to `Merge.fold` of the applied rows of the `events` table.
///
/// Both the agent and the server store events in a table with at least the columns
/// `id TEXT UNIQUE, entity TEXT, field TEXT, body TEXT (canonical JSON of the event), applied INTEGER`,
/// and materialise them into `state` (see `Materializer.stateSchema`). After any change to the events of
/// a field, `refresh` recomputes that field from all of its applied events with the pure merge, so the
/// incremental state and a rebuild from the log are the same function of the same events.
public enum Materializer {
    /// The `state` table, shared by both sides.
    public static let stateSchema = """
        CREATE TABLE state (
            entity TEXT NOT NULL,
            field TEXT NOT NULL,
            value TEXT NOT NULL,
            event_id TEXT NOT NULL,
            author TEXT NOT NULL,
            device TEXT NOT NULL,
            wall INTEGER NOT NULL,
            counter INTEGER NOT NULL,
            heads TEXT NOT NULL,
            conflict INTEGER NOT NULL,
            PRIMARY KEY (entity, field)
        ) STRICT, WITHOUT ROWID;
        """

    /// The `prev` references a store did not hold when it stored the event that makes them: one row per
    /// reference, written by `recordReferences`. An event that arrives after a successor which lists it
    /// is found here by one lookup, instead of by reading every stored event of its field.
    public static let danglingSchema = """
        CREATE TABLE dangling_prev (
            ref TEXT NOT NULL,
            event TEXT NOT NULL,
            PRIMARY KEY (ref, event)
        ) STRICT, WITHOUT ROWID;
        """

    /// The same rows for a store that already holds events (a schema step): every reference of an event
    /// to an event stored after it, or not stored. `order` is the column giving the storing order.
    public static func danglingBackfill(order: String) -> String {
        """
        INSERT OR IGNORE INTO dangling_prev (ref, event)
            SELECT j.value, e.id FROM events e, json_each(e.body, '$.prev') j
            WHERE NOT EXISTS (SELECT 1 FROM events p WHERE p.id = j.value AND p.\(order) < e.\(order));
        """
    }

    /// Records the references of `event` (being stored) to events the store does not hold. Call with the
    /// insert of every event, in the same transaction.
    public static func recordReferences(of event: Event, in db: Database) throws {
        for ref in event.prev where try db.scalarInt("SELECT 1 FROM events WHERE id = ?", ref) == nil {
            try db.run("INSERT OR IGNORE INTO dangling_prev (ref, event) VALUES (?, ?)", ref, event.id)
        }
    }

    /// Drops the rows of events no longer stored (after a purge or a revoked scope).
    public static func forgetDeletedReferences(in db: Database) throws {
        try db.run("DELETE FROM dangling_prev WHERE event NOT IN (SELECT id FROM events)")
    }

    /// Recomputes the state of `keys` from their applied events. Call inside the write transaction that
    /// changed the events.
    public static func refresh(_ keys: some Sequence<FieldKey>, in db: Database) throws {
        for key in Set(keys) {
            let events = try appliedEvents(of: key, in: db)
            guard let state = Merge.fieldState(events) else {
                try db.run("DELETE FROM state WHERE entity = ? AND field = ?", key.entity, key.field)
                continue
            }
            try write(state, in: db)
        }
    }

    /// Brings `state` up to date after `events` were inserted as applied rows, reading only the stored
    /// heads of each touched field (none, when the new events list them all in their `prev`) instead
    /// of its whole history. The result is the state `refresh` would
    /// compute (`MaterializerTests` checks both on random histories): the heads of a field after new events
    /// arrive are among its previous heads and the new events, minus every event some other event lists in
    /// its `prev`. A new event that an older stored event already lists (it arrived after its successor) is
    /// found in `dangling_prev`, which the store must keep (`recordReferences`). When the cheap path cannot decide
    /// (no head left, the stored heads were a cycle's fallback, one id with two bodies) the field is
    /// recomputed from all of its events. Call inside the write transaction that inserted the events.
    public static func apply(_ events: [Event], in db: Database) throws {
        var byKey: [FieldKey: [Event]] = [:]
        for event in events { byKey[event.key, default: []].append(event) }
        var slow: [FieldKey] = []
        for (key, added) in byKey {
            if let state = try incrementalState(of: key, adding: added, in: db) {
                try write(state, in: db)
            } else {
                slow.append(key)
            }
        }
        try refresh(slow, in: db)
    }

    /// The state of `key` once `added` (already stored) joins its stored heads, or nil when only a full
    /// recomputation can tell.
    static func incrementalState(of key: FieldKey, adding added: [Event], in db: Database) throws -> FieldState? {
        var referenced = Set<String>()
        for event in added { referenced.formUnion(event.prev) }
        var heads: [Event] = []
        if let stored = try db.scalarString("SELECT heads FROM state WHERE entity = ? AND field = ?", key.entity, key.field) {
            let ids = try JSONValue.parse(Array(stored.utf8)).arrayValue?.compactMap(\.stringValue) ?? []
            // The usual case: the writer had seen every head, so none stays and none is read. Otherwise
            // all are read, to tell the cycle fallback of `Merge.fieldState` (heads listing one another).
            if ids.contains(where: { !referenced.contains($0) }) {
                for id in ids {
                    guard let body = try db.scalarString("SELECT body FROM events WHERE id = ? AND applied = 1", id) else { return nil }
                    heads.append(try Event(bytes: Array(body.utf8)))
                }
                let listed = Set(heads.flatMap(\.prev))
                if heads.contains(where: { listed.contains($0.id) }) { return nil }
            }
        }
        var candidates: [String: Event] = [:]
        for event in heads + added {
            if let seen = candidates[event.id] {
                if seen != event { return nil }
            } else {
                candidates[event.id] = event
            }
        }
        // A new event that an older stored event of the field already lists (it arrived after its
        // successor): that successor recorded the reference in `dangling_prev` when it was stored.
        for event in added where !referenced.contains(event.id) {
            if try db.scalarInt("""
                SELECT 1 FROM dangling_prev d JOIN events e ON e.id = d.event
                WHERE d.ref = ? AND e.applied = 1 AND e.entity = ? AND e.field = ? LIMIT 1
                """, event.id, key.entity, key.field) != nil {
                return nil
            }
        }
        var remaining = candidates.values.filter { !referenced.contains($0.id) }
        guard !remaining.isEmpty else { return nil }
        remaining.sort { Event.lwwPrecedes($1, $0) }
        return FieldState(key: key, winner: remaining[0], heads: remaining)
    }

    /// Recomputes the whole `state` table from the log alone.
    public static func rebuild(in db: Database) throws {
        try db.write {
            try db.run("DELETE FROM state")
            var byKey: [FieldKey: [Event]] = [:]
            try db.forEach("SELECT body FROM events WHERE applied = 1") { row in
                let event = try Event(bytes: Array(row.string(0).utf8))
                byKey[event.key, default: []].append(event)
            }
            for (_, events) in byKey {
                if let state = Merge.fieldState(events) { try write(state, in: db) }
            }
        }
    }

    /// The applied events of one field.
    public static func appliedEvents(of key: FieldKey, in db: Database) throws -> [Event] {
        var events: [Event] = []
        try db.forEach("SELECT body FROM events WHERE entity = ? AND field = ? AND applied = 1",
                       values: [.text(key.entity), .text(key.field)]) { row in
            events.append(try Event(bytes: Array(row.string(0).utf8)))
        }
        return events
    }

    /// Every applied event of an entity, in LWW order (oldest first).
    public static func appliedEvents(entity: String, in db: Database) throws -> [Event] {
        var events: [Event] = []
        try db.forEach("SELECT body FROM events WHERE entity = ? AND applied = 1", values: [.text(entity)]) { row in
            events.append(try Event(bytes: Array(row.string(0).utf8)))
        }
        return events.sorted(by: Event.lwwPrecedes)
    }

    /// The merged fields of one entity, read from the state table, with their head events.
    public static func fieldStates(entity: String, in db: Database) throws -> [String: FieldState] {
        var result: [String: FieldState] = [:]
        let rows = try db.query("SELECT field, heads FROM state WHERE entity = ?", entity)
        for row in rows {
            let field = row.string(0)
            let headIDs = try JSONValue.parse(Array(row.string(1).utf8)).arrayValue?.compactMap(\.stringValue) ?? []
            var heads: [Event] = []
            for id in headIDs {
                if let body = try db.scalarString("SELECT body FROM events WHERE id = ?", id) {
                    heads.append(try Event(bytes: Array(body.utf8)))
                }
            }
            heads.sort { Event.lwwPrecedes($1, $0) }
            guard let winner = heads.first else { continue }
            result[field] = FieldState(key: FieldKey(entity: entity, field: field), winner: winner, heads: heads)
        }
        return result
    }

    /// SHA-256 over the state table in key order (see `Merge.stateHash`). With `entityPrefix`, only the
    /// entities starting with it.
    public static func stateHash(in db: Database, entityPrefix: String? = nil) throws -> String {
        var hasher = StateHasher()
        let sql = entityPrefix == nil
            ? "SELECT entity, field, value, event_id, heads FROM state ORDER BY entity, field"
            : "SELECT entity, field, value, event_id, heads FROM state WHERE substr(entity, 1, length(?1)) = ?1 ORDER BY entity, field"
        try db.forEach(sql, values: entityPrefix.map { [.text($0)] } ?? []) { row in
            let value = try JSONValue.parse(Array(row.string(2).utf8))
            let heads = try JSONValue.parse(Array(row.string(4).utf8)).arrayValue?.compactMap(\.stringValue) ?? []
            hasher.add(entity: row.string(0), field: row.string(1), value: value, winner: row.string(3), heads: heads)
        }
        return hasher.finalize()
    }

    static func write(_ state: FieldState, in db: Database) throws {
        let heads = JSONValue.array(state.heads.map(\.id).sorted().map { .string($0) }).canonicalString
        try db.run("""
            INSERT INTO state (entity, field, value, event_id, author, device, wall, counter, heads, conflict)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (entity, field) DO UPDATE SET value = excluded.value, event_id = excluded.event_id,
                author = excluded.author, device = excluded.device, wall = excluded.wall,
                counter = excluded.counter, heads = excluded.heads, conflict = excluded.conflict
            """,
            state.key.entity, state.key.field, state.value.canonicalString, state.winner.id, state.winner.author,
            state.winner.device, state.winner.hlc.wall, state.winner.hlc.counter, heads, state.isConflict)
    }
}

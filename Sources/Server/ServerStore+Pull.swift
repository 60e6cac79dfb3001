import Shared

extension ServerStore {
    /// What `device` may see after `after`, at most `limit` events in sequence order (read through the
    /// scope index for a device with few scopes; for one with many, at most `limit` events scanned, so
    /// events filtered out never make a pull slow), plus its pending controls; a `grant` brings its scope's whole
    /// history. `ack` drops the controls the agent has applied. With `listScopes` the answer also lists
    /// every scope the device may see.
    /// `ackEpoch` is the epoch the agent's `ack` belongs to: control ids start again after a restore, so an
    /// acknowledgement from another epoch would delete controls the agent has not seen; it is ignored.
    func pull(device: Device, after: Int64, limit: Int, ack: Int64?, ackEpoch: String? = nil, listScopes: Bool = false) throws -> PullResponse {
        let limit = max(1, min(limit, SyncProtocol.maxPullLimit))
        return try db.write {
            if let ack, ackEpoch == nil || ackEpoch == epoch {
                try db.run("DELETE FROM controls WHERE device = ? AND id <= ?", device.id, ack)
            }
            let scopes = Partition.scopes(for: device.evaluator, roster: roster)
            var events: [PulledEvent] = []
            var seen = Set<String>()
            var cursor = after
            var more: Bool
            if scopes.count <= Self.indexedPullMaxScopes {
                // Few scopes (an evaluator's commissions): read only their events through `events_by_scope`.
                // Every visible event up to `head` is returned when fewer than `limit` remain, so the cursor
                // moves to `head`; otherwise to the last event returned.
                let head = try head()
                let list = JSONValue.array(scopes.sorted().map { .string($0) }).canonicalString
                var returned = 0
                try db.forEach("""
                    SELECT seq, body, receipt, id FROM events
                    WHERE scope IN (SELECT value FROM json_each(?)) AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?
                    """, values: [.text(list), .integer(after), .integer(head), .integer(Int64(limit))]) { row in
                    returned += 1
                    cursor = row.int64(0)
                    events.append(PulledEvent(seq: row.int64(0), event: try Event(bytes: Array(row.string(1).utf8)), receipt: row.string(2)))
                    seen.insert(row.string(3))
                }
                more = returned == limit
                if !more { cursor = max(after, head) }
            } else {
                // Many scopes (a coordinator's device): scan in sequence order, at most `limit` rows.
                var scanned = 0
                try db.forEach("SELECT seq, body, receipt, scope, id FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                               values: [.integer(after), .integer(Int64(limit))]) { row in
                    scanned += 1
                    cursor = row.int64(0)
                    guard scopes.contains(row.string(3)) else { return }
                    events.append(PulledEvent(seq: row.int64(0), event: try Event(bytes: Array(row.string(1).utf8)), receipt: row.string(2)))
                    seen.insert(row.string(4))
                }
                more = scanned == limit
            }
            let controls = try db.query("SELECT id, type, scope FROM controls WHERE device = ? ORDER BY id", device.id).map {
                SyncControl(id: $0.int64(0), type: $0.string(1), scope: $0.string(2))
            }
            for control in controls where control.type == "grant" && scopes.contains(control.scope) {
                try db.forEach("SELECT seq, body, receipt, id FROM events WHERE scope = ? ORDER BY seq", values: [.text(control.scope)]) { row in
                    guard !seen.contains(row.string(3)) else { return }
                    seen.insert(row.string(3))
                    events.append(PulledEvent(seq: row.int64(0), event: try Event(bytes: Array(row.string(1).utf8)), receipt: row.string(2)))
                }
            }
            try touch(device, offset: nil)
            return PullResponse(events: events, controls: controls, cursor: cursor, head: try head(), more: more,
                                epoch: epoch, serverTime: clock.nowMilliseconds(), scopes: listScopes ? scopes.sorted() : nil)
        }
    }

    /// Up to this many visible scopes a pull reads through the scope index; above it (coordinators, who
    /// see most of the academy) a scan in sequence order reads fewer rows.
    static let indexedPullMaxScopes = 256
}

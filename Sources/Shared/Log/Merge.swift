/// The merged state of one field: the last-writer-wins value among its heads, and every head.
///
/// A head is an event of the field that no other known event of the field lists in its `prev`. Two or
/// more heads holding different values are a conflict: the winner is still displayed, but the conflict is
/// shown and blocks signing until someone writes the field having seen all heads.
public struct FieldState: Sendable, Hashable {
    public let key: FieldKey
    /// The displayed value's event: the greatest head in LWW order.
    public let winner: Event
    /// The heads, greatest first.
    public let heads: [Event]

    public var value: JSONValue { winner.value }
    public var isTombstone: Bool { winner.value == .null }

    /// True when the heads disagree on the value.
    public var isConflict: Bool {
        guard heads.count > 1 else { return false }
        let first = heads[0].value
        return heads.dropFirst().contains { $0.value != first }
    }
}

/// The merge: a pure function of a set of events. Any arrival order and any duplication give the same
/// result. See DESIGN.md, "Data".
public enum Merge {
    /// Merges the events of one field (all with the same key). Returns nil for an empty input.
    public static func fieldState(_ events: some Sequence<Event>) -> FieldState? {
        let unique = deduplicated(events)
        guard let key = unique.first?.key else { return nil }
        // One event is its own head (an event listing itself in prev falls back to every event: itself).
        if unique.count == 1 { return FieldState(key: key, winner: unique[0], heads: unique) }
        var heads: [Event]
        if unique.count <= smallGroup {
            heads = unique.filter { event in !unique.contains { $0.prev.contains(event.id) } }
        } else {
            var referenced = Set<String>()
            for event in unique { referenced.formUnion(event.prev) }
            heads = unique.filter { !referenced.contains($0.id) }
        }
        // A cycle of prev links (only forged events can make one) leaves no head: fall back to every event.
        if heads.isEmpty { heads = unique }
        heads.sort { Event.lwwPrecedes($1, $0) }
        return FieldState(key: key, winner: heads[0], heads: heads)
    }

    /// Merges any set of events into one state per field.
    public static func fold(_ events: some Sequence<Event>) -> [FieldKey: FieldState] {
        var byKey: [FieldKey: [Event]] = [:]
        for event in events { byKey[event.key, default: []].append(event) }
        var result: [FieldKey: FieldState] = [:]
        result.reserveCapacity(byKey.count)
        for (key, group) in byKey {
            result[key] = fieldState(group)
        }
        return result
    }

    /// One event per id. Two different events with one id (a forged or corrupt copy; the server refuses
    /// the second) are resolved by keeping the smaller canonical encoding, so the choice does not depend
    /// on arrival order.
    static func deduplicated(_ events: some Sequence<Event>) -> [Event] {
        // Most fields hold a few events: a linear scan, with the same choice as the dictionary below.
        var small: [Event] = []
        var iterator = events.makeIterator()
        while small.count <= smallGroup, let event = iterator.next() {
            if let index = small.firstIndex(where: { $0.id == event.id }) {
                if small[index] != event, event.canonicalBytes.lexicographicallyPrecedes(small[index].canonicalBytes) {
                    small[index] = event
                }
            } else {
                small.append(event)
            }
        }
        if small.count <= smallGroup { return small }
        var byID: [String: Event] = [:]
        for event in small { byID[event.id] = event }
        while let event = iterator.next() {
            if let existing = byID[event.id] {
                if existing != event,
                   event.canonicalBytes.lexicographicallyPrecedes(existing.canonicalBytes) {
                    byID[event.id] = event
                }
            } else {
                byID[event.id] = event
            }
        }
        return Array(byID.values)
    }

    /// Up to this many events, a field is merged with linear scans instead of hashing.
    static let smallGroup = 16

    /// The SHA-256 of a merged state, identical on every replica holding the same events. It covers, in
    /// key order, each field's entity, field, value, winner id and sorted head ids.
    public static func stateHash(_ states: some Sequence<FieldState>) -> String {
        var hasher = StateHasher()
        for state in states.sorted(by: { $0.key < $1.key }) {
            hasher.add(entity: state.key.entity, field: state.key.field, value: state.value,
                       winner: state.winner.id, heads: state.heads.map(\.id))
        }
        return hasher.finalize()
    }
}

/// Incremental form of `Merge.stateHash`, fed in key order (a store streams its state table into it).
public struct StateHasher {
    private var sha = SHA256()
    private var count: Int64 = 0

    public init() {}

    public mutating func add(entity: String, field: String, value: JSONValue, winner: String, heads: [String]) {
        let record: JSONValue = .array([
            .string(entity), .string(field), value, .string(winner), .array(heads.sorted().map { .string($0) }),
        ])
        sha.update(record.canonicalBytes())
        sha.update([0x0A])
        count += 1
    }

    public func finalize() -> String {
        var copy = sha
        copy.update(Array("count:\(count)".utf8))
        return Hex.encode(copy.finalize())
    }
}

/// One write of one field of one entity: the unit of replication. See DESIGN.md, "Data".
///
/// `value` is any JSON value; `.null` is a tombstone that takes part in the merge like any value.
/// `prev` holds the ids of the field's heads as the author's replica saw them when writing.
public struct Event: Sendable, Hashable {
    public let id: String
    public let entity: String
    public let field: String
    public let value: JSONValue
    public let hlc: HybridLogicalClock
    public let author: String
    public let prev: [String]

    /// The device that wrote the event (the clock's device).
    public var device: String { hlc.device }

    public init(id: String, entity: String, field: String, value: JSONValue, hlc: HybridLogicalClock,
                author: String, prev: [String]) {
        self.id = id
        self.entity = entity
        self.field = field
        self.value = value
        self.hlc = hlc
        self.author = author
        self.prev = prev.count < 2 ? prev : Array(Set(prev)).sorted()
    }

    public var key: FieldKey { FieldKey(entity: entity, field: field) }

    /// Last-writer-wins order: HLC (wall, counter, device), then event id.
    public static func lwwPrecedes(_ a: Event, _ b: Event) -> Bool {
        if a.hlc != b.hlc { return a.hlc < b.hlc }
        return a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
    }
}

/// The merge unit: one field of one entity.
public struct FieldKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let entity: String
    public let field: String

    public init(entity: String, field: String) {
        self.entity = entity
        self.field = field
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.entity != rhs.entity { return lhs.entity.utf8.lexicographicallyPrecedes(rhs.entity.utf8) }
        return lhs.field.utf8.lexicographicallyPrecedes(rhs.field.utf8)
    }

    public var description: String { "\(entity)#\(field)" }
}

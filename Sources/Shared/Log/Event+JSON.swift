/// Why a JSON object is not a well-formed event.
public struct EventFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String
    public var description: String { "event.\(field): \(message)" }
}

extension Event {
    /// Limits on the shape of an event, checked on every event read from outside.
    public enum Limits {
        public static let maxIDBytes = 128
        public static let maxEntityBytes = 512
        public static let maxFieldBytes = 256
        public static let maxPrev = 64
        public static let maxValueBytes = 64 * 1024
    }

    /// The wire form, as in docs/PROTOCOL.md:
    /// `{"author","entity","field","hlc":{"counter","device","wall"},"id","prev":[…],"value"}`.
    public var json: JSONValue {
        .object([
            "id": .string(id),
            "entity": .string(entity),
            "field": .string(field),
            "value": value,
            "hlc": .object(["wall": .int(hlc.wall), "counter": .int(hlc.counter), "device": .string(hlc.device)]),
            "author": .string(author),
            "device": .string(hlc.device),
            "prev": .array(prev.map { .string($0) }),
        ])
    }

    /// Canonical bytes of the wire form; equal ids with other bytes are different events. Written
    /// directly in canonical member order (`json.canonicalBytes()` gives the same bytes, `EventTests`
    /// checks it) without building the object first: every push and pull encodes events.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(192 + entity.utf8.count + field.utf8.count)
        func key(_ text: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        key("{\"author\":"); JSONValue.writeString(author, into: &out)
        key(",\"device\":"); JSONValue.writeString(hlc.device, into: &out)
        key(",\"entity\":"); JSONValue.writeString(entity, into: &out)
        key(",\"field\":"); JSONValue.writeString(field, into: &out)
        key(",\"hlc\":{\"counter\":"); JSONValue.writeInteger(hlc.counter, into: &out)
        key(",\"device\":"); JSONValue.writeString(hlc.device, into: &out)
        key(",\"wall\":"); JSONValue.writeInteger(hlc.wall, into: &out)
        key("},\"id\":"); JSONValue.writeString(id, into: &out)
        key(",\"prev\":[")
        for (index, ref) in prev.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeString(ref, into: &out)
        }
        key("],\"value\":"); JSONValue.writeCanonical(value, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// `canonicalBytes` as a `String`: the `body` column of the event tables.
    public var canonicalString: String { String(decoding: canonicalBytes, as: UTF8.self) }

    /// Reads an event from its wire form, checking every member's type and bounds. Unknown members are
    /// refused so that two replicas can never hash different contents for the same event.
    public init(json: JSONValue) throws(EventFormatError) {
        guard case .object(let object) = json else {
            throw EventFormatError(field: "", message: "an event is a JSON object")
        }
        // Sorting the keys is only needed to name the first unknown one.
        if object.keys.contains(where: { !Self.members.contains($0) }),
           let unknown = object.keys.sorted().first(where: { !Self.members.contains($0) }) {
            throw EventFormatError(field: unknown, message: "unknown member")
        }
        func string(_ name: String, max: Int) throws(EventFormatError) -> String {
            guard let value = object[name]?.stringValue else {
                throw EventFormatError(field: name, message: "a string is required")
            }
            guard !value.isEmpty, value.utf8.count <= max else {
                throw EventFormatError(field: name, message: "must be 1 to \(max) bytes")
            }
            // In UTF-8 the scalars below 0x20 and 0x7F are single bytes, and no other scalar uses those bytes.
            guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else {
                throw EventFormatError(field: name, message: "control characters are not allowed")
            }
            return value
        }
        let id = try string("id", max: Limits.maxIDBytes)
        let entity = try string("entity", max: Limits.maxEntityBytes)
        let field = try string("field", max: Limits.maxFieldBytes)
        let author = try string("author", max: Limits.maxIDBytes)
        let device = try string("device", max: Limits.maxIDBytes)
        guard let value = object["value"] else {
            throw EventFormatError(field: "value", message: "required (null for a tombstone)")
        }
        guard Self.canonicalSizeIsWithinLimit(value) else {
            throw EventFormatError(field: "value", message: "larger than \(Limits.maxValueBytes) bytes")
        }
        guard case .object(let clock) = object["hlc"] ?? .null else {
            throw EventFormatError(field: "hlc", message: "an object {wall, counter, device} is required")
        }
        if clock.keys.contains(where: { !Self.clockMembers.contains($0) }),
           let unknown = clock.keys.sorted().first(where: { !Self.clockMembers.contains($0) }) {
            throw EventFormatError(field: "hlc.\(unknown)", message: "unknown member")
        }
        guard let wall = clock["wall"]?.intValue, wall >= 0 else {
            throw EventFormatError(field: "hlc.wall", message: "a non-negative integer is required")
        }
        guard let counter = clock["counter"]?.intValue, counter >= 0 else {
            throw EventFormatError(field: "hlc.counter", message: "a non-negative integer is required")
        }
        guard let clockDevice = clock["device"]?.stringValue, clockDevice == device else {
            throw EventFormatError(field: "hlc.device", message: "must equal the event's device")
        }
        guard case .array(let prevValues) = object["prev"] ?? .null else {
            throw EventFormatError(field: "prev", message: "an array of event ids is required")
        }
        guard prevValues.count <= Limits.maxPrev else {
            throw EventFormatError(field: "prev", message: "at most \(Limits.maxPrev) ids")
        }
        var prev: [String] = []
        for item in prevValues {
            guard let text = item.stringValue, !text.isEmpty, text.utf8.count <= Limits.maxIDBytes else {
                throw EventFormatError(field: "prev", message: "each entry is an event id")
            }
            guard text != id else { throw EventFormatError(field: "prev", message: "an event cannot follow itself") }
            prev.append(text)
        }
        // Unique and sorted: each id strictly after the one before.
        guard zip(prev, prev.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw EventFormatError(field: "prev", message: "ids must be unique and sorted")
        }
        self.init(id: id, entity: entity, field: field, value: value,
                  hlc: HybridLogicalClock(wall: wall, counter: counter, device: device), author: author, prev: prev)
    }

    private static let members: Set<String> = ["id", "entity", "field", "value", "hlc", "author", "device", "prev"]
    private static let clockMembers: Set<String> = ["wall", "counter", "device"]

    /// `value.canonicalBytes().count <= Limits.maxValueBytes`, without encoding the small values: a scalar's
    /// canonical form is at most 20 bytes, a string's at most 6 bytes per UTF-8 byte (`\u00XX`) plus quotes.
    private static func canonicalSizeIsWithinLimit(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .int:
            return true
        case .string(let text) where text.utf8.count * 6 + 2 <= Limits.maxValueBytes:
            return true
        default:
            return value.canonicalBytes().count <= Limits.maxValueBytes
        }
    }

    /// Parses an event from canonical (or any valid) JSON bytes.
    public init(bytes: some Collection<UInt8>) throws(EventFormatError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw EventFormatError(field: "", message: "invalid JSON: \(error)")
        }
        try self.init(json: value)
    }
}

/// A JSON document restricted to the event model: null, booleans, 64-bit integers, strings, arrays and objects.
///
/// Equality and hashing are exact: strings (and object keys) compare by their UTF-8 bytes, never by
/// Unicode canonical equivalence, so two values are equal exactly when their canonical encodings are.
/// Spec: https://www.rfc-editor.org/rfc/rfc8259, canonical form: see `canonicalBytes()` and docs/PROTOCOL.md.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The string, or nil for any other kind of value.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The integer, or nil for any other kind of value.
    public var intValue: Int64? {
        if case .int(let value) = self { value } else { nil }
    }

    /// The boolean, or nil for any other kind of value.
    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The elements, or nil for any other kind of value.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The members, or nil for any other kind of value.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { value } else { nil }
    }

    /// True for `null` only.
    public var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// The member named `key`, or nil when this is not an object or has no such member.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }
}

extension JSONValue: Hashable {
    /// Byte-exact equality: Swift's `String ==` would also equate canonically equivalent text (é vs e + U+0301).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case (.bool(let a), .bool(let b)):
            return a == b
        case (.int(let a), .int(let b)):
            return a == b
        case (.string(let a), .string(let b)):
            return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)):
            return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (key, value) in a {
                // A dictionary cannot hold two canonically equivalent keys, so one lookup finds the only candidate.
                guard let index = b.index(forKey: key) else { return false }
                let (otherKey, otherValue) = b[index]
                guard key.utf8.elementsEqual(otherKey.utf8), value == otherValue else { return false }
            }
            return true
        default:
            return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .string(let value):
            hasher.combine(3 as UInt8)
            Self.hashBytes(of: value, into: &hasher)
        case .array(let elements):
            hasher.combine(4 as UInt8)
            hasher.combine(elements.count)
            for element in elements { element.hash(into: &hasher) }
        case .object(let members):
            hasher.combine(5 as UInt8)
            hasher.combine(members.count)
            // Members are unordered: combine their individual hashes with an order-independent sum.
            var sum = 0
            for (key, value) in members {
                var member = Hasher()
                Self.hashBytes(of: key, into: &member)
                value.hash(into: &member)
                sum &+= member.finalize()
            }
            hasher.combine(sum)
        }
    }

    private static func hashBytes(of string: String, into hasher: inout Hasher) {
        var text = string
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(text.utf8.count)
    }
}

/// Constants of the sync protocol (docs/PROTOCOL.md).
public enum SyncProtocol {
    public static let version: Int64 = 1
    public static let maxPushEvents = 10_000
    public static let maxPushBytes = 8 * 1024 * 1024
    public static let defaultPullLimit = 1_000
    public static let maxPullLimit = 10_000
    /// Default allowed clock skew: an event stamped more than this ahead of the server's clock is refused.
    public static let defaultMaxSkewMilliseconds: Int64 = 5 * 60 * 1000
    /// JSON limits for sync bodies: a whole push batch (8 MiB) must parse.
    public static let bodyLimits = JSONLimits(maxDepth: 64, maxBytes: maxPushBytes + 64 * 1024, maxStringBytes: 1 << 20)
    /// A USB export holds every pending event of a laptop: several push batches.
    public static let fileLimits = JSONLimits(maxDepth: 64, maxBytes: 4 * maxPushBytes, maxStringBytes: 1 << 20)
}

/// A message body that does not have the documented shape. `path` names the member.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Small readers for message objects: every member is checked, unknown members are refused.
struct WireObject {
    let members: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String = "", allowed: Set<String>) throws(WireError) {
        guard case .object(let members) = value else { throw WireError(path, "an object is required") }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw WireError(path.isEmpty ? unknown : "\(path).\(unknown)", "unknown member")
        }
        self.members = members
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func string(_ key: String, max: Int = 1024) throws(WireError) -> String {
        guard let value = members[key]?.stringValue else { throw WireError(name(key), "a string is required") }
        guard value.utf8.count <= max else { throw WireError(name(key), "longer than \(max) bytes") }
        return value
    }

    func optionalString(_ key: String, max: Int = 1024) throws(WireError) -> String? {
        guard let value = members[key], value != .null else { return nil }
        return try string(key, max: max)
    }

    func int(_ key: String) throws(WireError) -> Int64 {
        guard let value = members[key]?.intValue else { throw WireError(name(key), "an integer is required") }
        return value
    }

    func optionalInt(_ key: String) throws(WireError) -> Int64? {
        guard let value = members[key], value != .null else { return nil }
        return try int(key)
    }

    func bool(_ key: String) throws(WireError) -> Bool {
        guard let value = members[key]?.boolValue else { throw WireError(name(key), "a boolean is required") }
        return value
    }

    func array(_ key: String) throws(WireError) -> [JSONValue] {
        guard let value = members[key]?.arrayValue else { throw WireError(name(key), "an array is required") }
        return value
    }
}

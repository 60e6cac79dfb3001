/// One HTTP exchange as the sync engine sees it. Production uses HTTP over the network; tests and the
/// simulation plug in transports that call the server in process, drop, delay or duplicate messages.
public struct TransportRequest: Sendable, Equatable {
    public var method: String
    /// Path and query, e.g. `/v1/sync/pull?after=12&limit=1000`.
    public var target: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, target: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

public struct TransportResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// The `{"error":{"code","message"}}` body of an error answer, if it has one.
    public var errorCode: String? {
        (try? JSONValue.parse(body))?["error"]?["code"]?.stringValue
    }

    public var errorMessage: String? {
        (try? JSONValue.parse(body))?["error"]?["message"]?.stringValue
    }
}

/// The network failed before an HTTP answer arrived (refused, reset, timed out, DNS…).
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Sends requests to the server. Synchronous: the CLI and the background loop call it from one thread.
public protocol Transport: Sendable {
    func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse
}

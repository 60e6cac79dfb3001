/// One complete request as parsed by `HTTPParser`: request line, header fields as received and the body.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc9112#section-2.1
public struct HTTPRequest: Sendable {
    /// The method exactly as sent (methods are case-sensitive: `get` is not `GET`).
    public var method: String
    /// The origin-form request target exactly as sent, query included (it may hold secrets: never log it).
    public var target: String
    /// The target's path, percent-decoded, without the query. Always starts with `/`.
    public var path: String
    /// The query's parameters, percent-decoded with `+` read as a space; the first value of a repeated name wins.
    public var query: [String: String]
    public var version: HTTPVersion
    /// Header fields in the order received, names as sent, values with surrounding whitespace removed.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The peer's address (`ip:port`), or an empty string when unknown.
    public var remoteAddress: String
    /// True when a trusted proxy says the client spoke HTTPS to it (see `forwarded()`).
    public var isSecure = false

    public init(
        method: String,
        target: String,
        path: String,
        query: [String: String] = [:],
        version: HTTPVersion = .http11,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        remoteAddress: String = ""
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// True when the browser says the request comes from a page of this origin although `Origin` is
    /// `null`: under `Referrer-Policy: no-referrer` a form post carries `Origin: null`, and `Sec-Fetch-Site`
    /// then tells where it comes from (a sandboxed or foreign page never gets `same-origin` there).
    public var isNullOriginFromSameOrigin: Bool {
        header("Origin") == "null" && header("Sec-Fetch-Site")?.lowercased() == "same-origin"
    }

    /// The value of the first field named `name`, compared case-insensitively (field names are, RFC 9110 §5.1).
    public func header(_ name: String) -> String? {
        headers.first { HTTPField.namesEqual($0.name, name) }?.value
    }

    /// Whether the connection stays open after the response: HTTP/1.1 keeps it unless `Connection: close`,
    /// HTTP/1.0 closes it unless `Connection: keep-alive`.
    ///
    /// Spec: https://www.rfc-editor.org/rfc/rfc9112#section-9.3
    public var wantsKeepAlive: Bool {
        let options = headers
            .filter { HTTPField.namesEqual($0.name, "Connection") }
            .flatMap { HTTPField.listElements($0.value) }
        if options.contains("close") { return false }
        switch version {
        case .http11: return true
        case .http10: return options.contains("keep-alive")
        }
    }
}

extension HTTPRequest {
    /// The request as a trusted reverse proxy on the loopback interface describes it: the client
    /// address from the last `X-Forwarded-For` entry, and `isSecure` from `X-Forwarded-Proto: https`.
    /// A request that did not come from the loopback interface is returned unchanged.
    public func forwarded() -> HTTPRequest {
        let peer = remoteAddress.split(separator: ":").first.map(String.init) ?? ""
        guard peer == "127.0.0.1" || peer.hasPrefix("127.") else { return self }
        var copy = self
        if let chain = header("X-Forwarded-For"), let last = chain.split(separator: ",").last.map({ String($0).trimmingWhitespace() }), !last.isEmpty,
           last.utf8.count <= 64, last.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) {
            copy.remoteAddress = last
        }
        copy.isSecure = header("X-Forwarded-Proto")?.lowercased() == "https"
        return copy
    }
}

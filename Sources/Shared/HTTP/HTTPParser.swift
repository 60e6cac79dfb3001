/// An incremental HTTP/1.1 request parser: feed it bytes as they arrive, ask it for the next event.
///
/// Pure (no I/O, no clock), so every framing rule is unit-tested without sockets. It enforces RFC 9112
/// framing strictly, because a lenient parser behind a proxy is how requests get smuggled:
///
/// - Lines end with CRLF. A **bare LF is rejected** (400) rather than accepted as RFC 9112 §2.2 allows:
///   every client Grille talks to (URLSession, curl, nginx) sends CRLF, and treating LF differently from
///   the proxy in front is a smuggling vector. A bare CR anywhere is rejected too.
/// - Empty lines before the request line are skipped (RFC 9112 §2.2).
/// - Request line: `method SP origin-form SP HTTP/1.x` with single spaces; the method is a token
///   (case-sensitive: `get` parses and is simply an unknown method), the target starts with `/` and holds
///   only visible ASCII, the version is `HTTP/1.0` or `HTTP/1.1` (other well-formed versions: 505).
///   The path must percent-decode to UTF-8 without control characters; so must the query.
/// - Field lines: the name is a token directly followed by `:` (so no space before the colon), the value
///   holds no CR, LF, NUL or other control character but HTAB; obs-fold (a line starting with SP or HTAB)
///   is rejected (RFC 9112 §5.2). HTTP/1.1 requires exactly one `Host` (§3.2); two are rejected everywhere.
/// - Body framing (RFC 9112 §6): `Content-Length` is digits only (OWS around it is trimmed with the
///   value; signs, commas, hex or spaces inside are 400). **Two `Content-Length` fields are rejected
///   even when equal**: RFC 9110 §8.6 lets a recipient merge equal ones, but nothing legitimate sends
///   them and rejecting removes a disagreement with the proxy. **Any `Transfer-Encoding` is rejected**:
///   with `Content-Length` too it is 400 (§6.3 calls that a likely smuggling attempt), alone it is
///   501 Not Implemented (§6.1: a transfer coding the server does not implement). Grille's clients send
///   sized bodies and nginx buffers request bodies and forwards them with `Content-Length`, so chunked
///   uploads are never needed and their parsing (chunk sizes, extensions, trailers) is attack surface
///   with no user. A request without either field has no body.
/// - `Expect: 100-continue` on HTTP/1.1 yields `.expectContinue` once, after the head and before the
///   body, so the server can send `100 Continue`; an oversized declared body is a 413 before that.
///   Other expectations are 417; on HTTP/1.0 the field is ignored (RFC 9110 §10.1.1).
///
/// Limits come from `HTTPLimits`. After a failure the parser stays failed: the connection must close.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc9112, https://www.rfc-editor.org/rfc/rfc9110
public struct HTTPParser: Sendable {
    /// What the parser can say after being fed.
    public enum Event: Sendable {
        /// No complete request yet: read more bytes.
        case needMoreData
        /// The head of a request asking for `100 Continue` is complete and its body has not all arrived:
        /// send `HTTP/1.1 100 Continue`, then keep feeding. Given at most once per request.
        case expectContinue
        /// A complete request; the parser moves on to the next one (pipelining).
        case request(HTTPRequest)
        /// A malformed or refused request. Answer it with `Connection: close` and close the connection.
        case failure(HTTPError)
    }

    /// Where in a request the parser stands, which tells the server which deadline applies.
    public enum Phase: Sendable, Equatable {
        /// Between requests, with nothing buffered: the idle keep-alive timeout applies.
        case idle
        /// Part of a request line or header section has arrived: the header deadline applies.
        case head
        /// The head is complete and the body is being read: the body deadline applies.
        case body
    }

    struct Head {
        var method = ""
        var target = ""
        var path = ""
        var query: [String: String] = [:]
        var version = HTTPVersion.http11
        var headers: [(name: String, value: String)] = []
        var headerBytes = 0
        var expectsContinue = false
    }

    enum State {
        case requestLine
        case headers
        case body(length: Int, continueSent: Bool)
        case failed(HTTPError)
    }

    public let limits: HTTPLimits
    public let remoteAddress: String
    var buffer: [UInt8] = []
    /// Index of the first byte not yet consumed.
    var start = 0
    /// Index where the search for the next LF resumes, so bytes arriving one at a time are scanned once.
    var scan = 0
    var state = State.requestLine
    var head = Head()

    public init(limits: HTTPLimits = .default, remoteAddress: String = "") {
        self.limits = limits
        self.remoteAddress = remoteAddress
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received and not yet part of a returned request.
    public var bufferedByteCount: Int { buffer.count - start }

    public var phase: Phase {
        switch state {
        case .requestLine: start == buffer.count ? .idle : .head
        case .headers, .failed: .head
        case .body: .body
        }
    }

    /// Parses as far as the buffered bytes allow and reports the next event.
    public mutating func next() -> Event {
        while true {
            switch state {
            case .failed(let error):
                return .failure(error)

            case .requestLine:
                guard let lineFeed = nextLineFeed() else {
                    // A line of exactly the limit may be waiting for its LF after its CR.
                    let pending = buffer.count - start
                    if pending > limits.maxRequestLineBytes + 1
                        || (pending == limits.maxRequestLineBytes + 1 && buffer[buffer.count - 1] != 0x0D) {
                        return fail(overlongRequestLine(buffer[start...]))
                    }
                    return .needMoreData
                }
                guard lineFeed > start, buffer[lineFeed - 1] == 0x0D else { return fail(.bareLineFeed) }
                let line = buffer[start..<(lineFeed - 1)]
                if line.isEmpty {
                    consume(through: lineFeed)
                    continue
                }
                if line.count > limits.maxRequestLineBytes { return fail(overlongRequestLine(line)) }
                switch Self.parseRequestLine(line) {
                case .success(let parsed):
                    head = parsed
                case .failure(let error):
                    return fail(error)
                }
                consume(through: lineFeed)
                state = .headers

            case .headers:
                guard let lineFeed = nextLineFeed() else {
                    if head.headerBytes + (buffer.count - start) > limits.maxHeaderBytes {
                        return fail(.headersTooLarge)
                    }
                    return .needMoreData
                }
                guard lineFeed > start, buffer[lineFeed - 1] == 0x0D else { return fail(.bareLineFeed) }
                head.headerBytes += lineFeed + 1 - start
                if head.headerBytes > limits.maxHeaderBytes { return fail(.headersTooLarge) }
                let line = buffer[start..<(lineFeed - 1)]
                if line.isEmpty {
                    consume(through: lineFeed)
                    switch finishHead() {
                    case .success(let length):
                        state = .body(length: length, continueSent: false)
                    case .failure(let error):
                        return fail(error)
                    }
                    continue
                }
                switch Self.parseFieldLine(line) {
                case .success(let field):
                    head.headers.append(field)
                case .failure(let error):
                    return fail(error)
                }
                if head.headers.count > limits.maxHeaderCount { return fail(.headersTooLarge) }
                consume(through: lineFeed)

            case .body(let length, let continueSent):
                if buffer.count - start >= length {
                    let body = Array(buffer[start..<(start + length)])
                    start += length
                    scan = start
                    compact()
                    state = .requestLine
                    let request = HTTPRequest(
                        method: head.method, target: head.target, path: head.path, query: head.query,
                        version: head.version, headers: head.headers, body: body, remoteAddress: remoteAddress
                    )
                    head = Head()
                    return .request(request)
                }
                if head.expectsContinue && !continueSent {
                    state = .body(length: length, continueSent: true)
                    return .expectContinue
                }
                return .needMoreData
            }
        }
    }

    mutating func fail(_ error: HTTPError) -> Event {
        state = .failed(error)
        return .failure(error)
    }

    mutating func nextLineFeed() -> Int? {
        var index = max(scan, start)
        while index < buffer.count {
            if buffer[index] == 0x0A { return index }
            index += 1
        }
        scan = index
        return nil
    }

    mutating func consume(through index: Int) {
        start = index + 1
        scan = start
    }

    /// Drops consumed bytes once they are at least half the buffer, so pipelined requests cost amortised O(1).
    mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
            scan = 0
        } else if start >= 4096 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            scan -= start
            start = 0
        }
    }

    /// 414 when the line starts with a method and a space (so the target is what is too long), else 400.
    func overlongRequestLine(_ line: ArraySlice<UInt8>) -> HTTPError {
        if let space = line.firstIndex(of: 0x20), HTTPField.isToken(line[line.startIndex..<space]) {
            return .uriTooLong
        }
        return .badRequestLine
    }
}

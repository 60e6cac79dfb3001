import Testing
import TestSupport
import Shared

/// What a raw request must parse to: a request with these fields, or a refusal with this status.
enum ParseOutcome: Sendable {
    case request(method: String, path: String, query: [String: String] = [:], body: String = "")
    case status(Int)
}

struct ParserCase: Sendable, CustomTestStringConvertible {
    let name: String
    let raw: [UInt8]
    let outcome: ParseOutcome

    init(_ name: String, _ raw: String, _ outcome: ParseOutcome) {
        self.init(name, Array(raw.utf8), outcome)
    }

    init(_ name: String, _ raw: [UInt8], _ outcome: ParseOutcome) {
        self.name = name
        self.raw = raw
        self.outcome = outcome
    }

    var testDescription: String { name }
}

let hostLine = "Host: grille.test\r\n"
let manyFields = (1...99).map { "X-F\($0): v\r\n" }.joined()

let parserCases: [ParserCase] = [
    ParserCase("simple GET", "GET / HTTP/1.1\r\n\(hostLine)\r\n", .request(method: "GET", path: "/")),
    ParserCase("POST with a sized body", "POST /sync/push HTTP/1.1\r\n\(hostLine)Content-Length: 5\r\n\r\nhello",
               .request(method: "POST", path: "/sync/push", body: "hello")),
    ParserCase("lowercase method is a token, kept as sent", "get /x HTTP/1.1\r\n\(hostLine)\r\n",
               .request(method: "get", path: "/x")),
    ParserCase("HTTP/1.0 without Host", "GET /old HTTP/1.0\r\n\r\n", .request(method: "GET", path: "/old")),
    ParserCase("HTTP/1.1 without Host", "GET / HTTP/1.1\r\n\r\n", .status(400)),
    ParserCase("two Host fields", "GET / HTTP/1.1\r\n\(hostLine)\(hostLine)\r\n", .status(400)),
    ParserCase("missing version", "GET /\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("HTTP/2.0", "GET / HTTP/2.0\r\n\(hostLine)\r\n", .status(505)),
    ParserCase("HTTP/1.2", "GET / HTTP/1.2\r\n\(hostLine)\r\n", .status(505)),
    ParserCase("lowercase version", "GET / http/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("version without minor", "GET / HTTP/1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("two spaces in request line", "GET  / HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("trailing space in request line", "GET / HTTP/1.1 \r\n\(hostLine)\r\n", .status(400)),
    ParserCase("garbage request line", "HELLO\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("method with a non-token character", "GE(T / HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("absolute-form target", "GET http://grille.test/ HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("asterisk-form target", "OPTIONS * HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("raw non-ASCII byte in target", "GET /é HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("overlong target", "GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\n\(hostLine)\r\n", .status(414)),
    ParserCase("overlong line without a method", String(repeating: "A", count: 9000) + "\r\n\r\n", .status(400)),
    ParserCase("70 KiB header", "GET / HTTP/1.1\r\n\(hostLine)X-Big: \(String(repeating: "b", count: 70 << 10))\r\n\r\n",
               .status(431)),
    ParserCase("100 header fields", "GET / HTTP/1.1\r\n\(hostLine)\(manyFields)\r\n", .request(method: "GET", path: "/")),
    ParserCase("101 header fields", "GET / HTTP/1.1\r\n\(hostLine)\(manyFields)X-One-More: v\r\n\r\n", .status(431)),
    ParserCase("duplicate equal Content-Length", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: 2\r\nContent-Length: 2\r\n\r\nhi",
               .status(400)),
    ParserCase("conflicting Content-Length", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: 2\r\nContent-Length: 3\r\n\r\nhi!",
               .status(400)),
    ParserCase("Content-Length -1", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: -1\r\n\r\n", .status(400)),
    ParserCase("Content-Length +5", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: +5\r\n\r\nhello", .status(400)),
    ParserCase("Content-Length 0x10", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: 0x10\r\n\r\n", .status(400)),
    ParserCase("Content-Length list 1,1", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: 1,1\r\n\r\nx", .status(400)),
    ParserCase("Content-Length with inner space", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: 1 1\r\n\r\n", .status(400)),
    ParserCase("empty Content-Length", "POST / HTTP/1.1\r\n\(hostLine)Content-Length:\r\n\r\n", .status(400)),
    ParserCase("Content-Length with OWS trimmed", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: \t5 \r\n\r\nhello",
               .request(method: "POST", path: "/", body: "hello")),
    ParserCase("Content-Length with leading zeros", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: 003\r\n\r\nabc",
               .request(method: "POST", path: "/", body: "abc")),
    ParserCase("Content-Length overflowing 64 bits",
               "POST / HTTP/1.1\r\n\(hostLine)Content-Length: 99999999999999999999999999\r\n\r\n", .status(413)),
    ParserCase("declared body over the cap", "POST / HTTP/1.1\r\n\(hostLine)Content-Length: \(9 << 20)\r\n\r\n", .status(413)),
    ParserCase("Content-Length with Transfer-Encoding",
               "POST / HTTP/1.1\r\n\(hostLine)Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello", .status(400)),
    ParserCase("Transfer-Encoding chunked is not implemented",
               "POST / HTTP/1.1\r\n\(hostLine)Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", .status(501)),
    ParserCase("Transfer-Encoding gzip, chunked", "POST / HTTP/1.1\r\n\(hostLine)Transfer-Encoding: gzip, chunked\r\n\r\n",
               .status(501)),
    ParserCase("CR inside a header value", "GET / HTTP/1.1\r\n\(hostLine)X-A: a\rb\r\n\r\n", .status(400)),
    ParserCase("NUL in a header name", "GET / HTTP/1.1\r\n\(hostLine)X-\u{0}A: b\r\n\r\n", .status(400)),
    ParserCase("NUL in a header value", "GET / HTTP/1.1\r\n\(hostLine)X-A: a\u{0}b\r\n\r\n", .status(400)),
    ParserCase("DEL in a header value", "GET / HTTP/1.1\r\n\(hostLine)X-A: a\u{7F}b\r\n\r\n", .status(400)),
    ParserCase("tab inside a header value", "GET / HTTP/1.1\r\n\(hostLine)X-A: a\tb\r\n\r\n", .request(method: "GET", path: "/")),
    ParserCase("obs-fold continuation line", "GET / HTTP/1.1\r\n\(hostLine)X-A: a\r\n  b\r\n\r\n", .status(400)),
    ParserCase("non-token header name", "GET / HTTP/1.1\r\n\(hostLine)X@A: b\r\n\r\n", .status(400)),
    ParserCase("space before colon", "GET / HTTP/1.1\r\nHost : grille.test\r\n\r\n", .status(400)),
    ParserCase("header line without colon", "GET / HTTP/1.1\r\n\(hostLine)NoColon\r\n\r\n", .status(400)),
    ParserCase("empty header name", "GET / HTTP/1.1\r\n\(hostLine): b\r\n\r\n", .status(400)),
    ParserCase("bare LF line endings", "GET / HTTP/1.1\nHost: grille.test\n\n", .status(400)),
    ParserCase("bare LF ending the header section", "GET / HTTP/1.1\r\n\(hostLine)\n", .status(400)),
    ParserCase("invalid UTF-8 after percent-decoding", "GET /%FF%FE HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("truncated UTF-8 after percent-decoding", "GET /%C3 HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("bad percent escape", "GET /a%zz HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("short percent escape", "GET /a%4 HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("percent-encoded NUL in the path", "GET /a%00b HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("percent-decoded path", "GET /a%20b/%C3%A9t%C3%A9+x HTTP/1.1\r\n\(hostLine)\r\n",
               .request(method: "GET", path: "/a b/été+x")),
    ParserCase("query parsing", "GET /s?a=1&b=x+y&a=2&c&d=%26%3D&&e=%C3%A9 HTTP/1.1\r\n\(hostLine)\r\n",
               .request(method: "GET", path: "/s", query: ["a": "1", "b": "x y", "c": "", "d": "&=", "e": "é"])),
    ParserCase("empty query", "GET /s? HTTP/1.1\r\n\(hostLine)\r\n", .request(method: "GET", path: "/s")),
    ParserCase("invalid query escape", "GET /s?a=%G1 HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("invalid UTF-8 in the query", "GET /s?a=%FF HTTP/1.1\r\n\(hostLine)\r\n", .status(400)),
    ParserCase("empty lines before the request line", "\r\n\r\nGET / HTTP/1.1\r\n\(hostLine)\r\n",
               .request(method: "GET", path: "/")),
    ParserCase("Expect 100-continue with the body already there",
               "PUT /u HTTP/1.1\r\n\(hostLine)Expect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
               .request(method: "PUT", path: "/u", body: "ok")),
    ParserCase("unknown expectation", "PUT /u HTTP/1.1\r\n\(hostLine)Expect: 200-ok\r\nContent-Length: 2\r\n\r\nok",
               .status(417)),
    ParserCase("Expect ignored on HTTP/1.0", "PUT /u HTTP/1.0\r\nExpect: whatever\r\nContent-Length: 2\r\n\r\nok",
               .request(method: "PUT", path: "/u", body: "ok")),
]

@Suite struct HTTPParserTests {
    func run(_ parser: inout HTTPParser) -> HTTPParser.Event {
        while true {
            let event = parser.next()
            if case .expectContinue = event { continue }
            return event
        }
    }

    func check(_ event: HTTPParser.Event, _ outcome: ParseOutcome, _ name: String) {
        switch (event, outcome) {
        case (.request(let request), .request(let method, let path, let query, let body)):
            #expect(request.method == method, "\(name)")
            #expect(request.path == path, "\(name)")
            #expect(request.query == query, "\(name)")
            #expect(request.body == Array(body.utf8), "\(name)")
        case (.failure(let error), .status(let status)):
            #expect(error.status == status, "\(name): \(error)")
        default:
            Issue.record("\(name): got \(event), expected \(outcome)")
        }
    }

    @Test(arguments: parserCases)
    func parsesWholeBuffer(_ testCase: ParserCase) {
        var parser = HTTPParser()
        parser.feed(testCase.raw)
        check(run(&parser), testCase.outcome, testCase.name)
    }

    @Test(arguments: parserCases)
    func parsesTheSameFedByteByByte(_ testCase: ParserCase) {
        var parser = HTTPParser()
        var event = HTTPParser.Event.needMoreData
        for byte in testCase.raw {
            parser.feed([byte])
            event = run(&parser)
            if case .needMoreData = event { continue }
            break
        }
        check(event, testCase.outcome, testCase.name)
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        var parser = HTTPParser()
        parser.feed(Array((
            "GET /one HTTP/1.1\r\n\(hostLine)\r\n"
            + "POST /two HTTP/1.1\r\n\(hostLine)Content-Length: 3\r\n\r\nabc"
            + "GET /three?x=1 HTTP/1.1\r\n\(hostLine)\r\n"
            + "GET /fou"
        ).utf8))
        var paths: [String] = []
        while case .request(let request) = parser.next() { paths.append(request.path) }
        #expect(paths == ["/one", "/two", "/three"])
        #expect(parser.phase == .head)
        parser.feed(Array("r HTTP/1.1\r\n\(hostLine)\r\n".utf8))
        guard case .request(let fourth) = parser.next() else { Issue.record("no fourth request"); return }
        #expect(fourth.path == "/four")
        #expect(parser.phase == .idle)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func requestKeepsHeadersAsReceived() {
        var parser = HTTPParser(remoteAddress: "10.0.0.1:4242")
        parser.feed(Array("GET /a?t=secret HTTP/1.1\r\nHost: h\r\nX-Token:  abc  \r\nx-token: second\r\n\r\n".utf8))
        guard case .request(let request) = parser.next() else { Issue.record("no request"); return }
        #expect(request.target == "/a?t=secret")
        #expect(request.version == .http11)
        #expect(request.headers.map(\.name) == ["Host", "X-Token", "x-token"])
        #expect(request.header("X-TOKEN") == "abc")
        #expect(request.header("missing") == nil)
        #expect(request.remoteAddress == "10.0.0.1:4242")
    }

    @Test func expectContinueIsAnnouncedOnceBeforeTheBody() {
        var parser = HTTPParser()
        parser.feed(Array("PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n".utf8))
        guard case .expectContinue = parser.next() else { Issue.record("no 100-continue"); return }
        #expect(parser.phase == .body)
        guard case .needMoreData = parser.next() else { Issue.record("announced twice"); return }
        parser.feed(Array("da".utf8))
        guard case .needMoreData = parser.next() else { Issue.record("early request"); return }
        parser.feed(Array("ta".utf8))
        guard case .request(let request) = parser.next() else { Issue.record("no request"); return }
        #expect(request.body == Array("data".utf8))
    }

    @Test func oversizedExpectContinueIsRefusedBeforeTheBody() {
        var parser = HTTPParser(limits: HTTPLimits(maxBodyBytes: 10))
        parser.feed(Array("PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n".utf8))
        guard case .failure(let error) = parser.next() else { Issue.record("not refused"); return }
        #expect(error.status == 413)
        #expect(error.code == "payload_too_large")
    }

    @Test(arguments: [(10, "POST"), (11, "POST")])
    func bodyCapIsInclusive(length: Int, method: String) {
        var parser = HTTPParser(limits: HTTPLimits(maxBodyBytes: 10))
        parser.feed(Array("\(method) / HTTP/1.1\r\nHost: h\r\nContent-Length: \(length)\r\n\r\n".utf8))
        parser.feed([UInt8](repeating: 0x61, count: length))
        switch parser.next() {
        case .request(let request): #expect(length <= 10 && request.body.count == length)
        case .failure(let error): #expect(length > 10 && error.status == 413)
        default: Issue.record("no outcome")
        }
    }

    @Test func failureIsSticky() {
        var parser = HTTPParser()
        parser.feed(Array("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        guard case .failure(let first) = parser.next(), case .failure(let second) = parser.next() else {
            Issue.record("not failed")
            return
        }
        #expect(first == second)
    }

    @Test func phaseFollowsTheRequest() {
        var parser = HTTPParser()
        #expect(parser.phase == .idle)
        parser.feed(Array("POST / HTTP/1.1\r\n".utf8))
        _ = parser.next()
        #expect(parser.phase == .head)
        parser.feed(Array("Host: h\r\nContent-Length: 2\r\n\r\n".utf8))
        _ = parser.next()
        #expect(parser.phase == .body)
        parser.feed(Array("ok".utf8))
        _ = parser.next()
        #expect(parser.phase == .idle)
    }

    @Test(arguments: [
        ("HTTP/1.1", "", true), ("HTTP/1.1", "close", false), ("HTTP/1.1", "Keep-Alive, CLOSE", false),
        ("HTTP/1.0", "", false), ("HTTP/1.0", "keep-alive", true), ("HTTP/1.0", "Keep-Alive", true),
        ("HTTP/1.0", "keep-alive, close", false), ("HTTP/1.1", "upgrade", true),
    ])
    func keepAliveFollowsVersionAndConnection(version: String, connection: String, keepAlive: Bool) {
        var parser = HTTPParser()
        let field = connection.isEmpty ? "" : "Connection: \(connection)\r\n"
        parser.feed(Array("GET / \(version)\r\nHost: h\r\n\(field)\r\n".utf8))
        guard case .request(let request) = parser.next() else { Issue.record("no request"); return }
        #expect(request.wantsKeepAlive == keepAlive)
    }
}

import Foundation
import Synchronization
import Testing
import TestSupport
import Shared

/// Collects log entries from the server's threads.
final class LogCollector: Sendable {
    let entries = Mutex<[HTTPLogEntry]>([])

    func append(_ entry: HTTPLogEntry) {
        entries.withLock { $0.append(entry) }
    }

    var all: [HTTPLogEntry] { entries.withLock { $0 } }
}

/// A running server on an ephemeral port with short deadlines; `stop()` it when done.
struct TestServer {
    let server: HTTPServer
    let port: Int
    let log: LogCollector

    func connect(timeout: Double = 5) throws -> RawHTTPClient {
        try RawHTTPClient(port: port, timeout: timeout)
    }

    func stop() {
        server.stop(timeout: 1)
    }
}

/// Echo routes used by every server test: `/echo` answers the body, `/sleep?ms=N` sleeps first.
func makeServer(
    _ adjust: (inout HTTPServer.Configuration) -> Void = { _ in },
    handler: (@Sendable (HTTPRequest) -> HTTPResponse)? = nil
) throws -> TestServer {
    var configuration = HTTPServer.Configuration(
        host: "127.0.0.1", port: 0, headerTimeout: 2, bodyTimeout: 2, idleTimeout: 2, handlerTimeout: 2,
        writeTimeout: 2, lingerTimeout: 0.2
    )
    adjust(&configuration)
    let log = LogCollector()
    let server = HTTPServer(
        configuration: configuration,
        handler: handler ?? { request in
            if let milliseconds = request.query["ms"].flatMap(Double.init) {
                Thread.sleep(forTimeInterval: milliseconds / 1000)
            }
            var response = HTTPResponse(status: 200, headers: [("X-Path", request.path)], body: request.body)
            if let device = request.header("X-Device") { response.headers.append(("X-Grille-Device", device)) }
            return response
        },
        log: { log.append($0) }
    )
    let port = try server.start()
    return TestServer(server: server, port: port, log: log)
}

func get(_ path: String, _ extra: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nHost: grille.test\r\n\(extra)\r\n"
}

@Suite struct HTTPServerTests {
    @Test func keepAliveServesTwoRequestsOnOneConnection() throws {
        let test = try makeServer()
        defer { test.stop() }
        let client = try test.connect()
        for path in ["/one", "/two"] {
            try client.send("POST \(path) HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("X-Path") == path)
            #expect(response.bodyText == "hi")
            #expect(response.header("Connection") == "keep-alive")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
        }
        #expect(test.server.connectionCount == 1)
    }

    @Test func http10ClosesAfterTheResponse() throws {
        let test = try makeServer()
        defer { test.stop() }
        let client = try test.connect()
        try client.send("GET /old HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(response.header("Content-Length") == "0")
        #expect(client.isClosedByServer())
    }

    @Test func http10KeepAliveIsHonoured() throws {
        let test = try makeServer()
        defer { test.stop() }
        let client = try test.connect()
        for _ in 0..<2 {
            try client.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try client.readResponse().header("Connection") == "keep-alive")
        }
    }

    @Test func connectionCloseFromTheClientIsHonoured() throws {
        let test = try makeServer()
        defer { test.stop() }
        let client = try test.connect()
        try client.send(get("/bye", "Connection: close\r\n") + get("/never"))
        let response = try client.readResponse()
        #expect(response.header("X-Path") == "/bye")
        #expect(response.header("Connection") == "close")
        #expect(client.isClosedByServer())
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let test = try makeServer()
        defer { test.stop() }
        let client = try test.connect()
        try client.send(get("/first?ms=100") + "POST /second HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc" + get("/third"))
        let paths = try (0..<3).map { _ in try client.readResponse().header("X-Path") }
        #expect(paths == ["/first", "/second", "/third"])
    }

    @Test func expectContinueGets100ThenTheResponse() throws {
        let test = try makeServer()
        defer { test.stop() }
        let client = try test.connect()
        try client.send("PUT /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send("data")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == "data")
    }

    @Test func expectContinueOverTheCapIs413WithoutReadingTheBody() throws {
        let test = try makeServer { $0.limits.maxBodyBytes = 1000 }
        defer { test.stop() }
        let client = try test.connect()
        try client.send("PUT /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1001\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
        #expect(client.isClosedByServer())
    }

    @Test func slowClientIsCutByTheHeaderDeadlineWhileOthersAreServed() throws {
        let test = try makeServer { $0.headerTimeout = 0.8 }
        defer { test.stop() }
        let slow = try test.connect()
        let request = Array(get("/slow", "X-Padding: \(String(repeating: "p", count: 40))\r\n").utf8)
        let started = ContinuousClock.now
        var sent = 0
        var cut = false
        while sent < request.count, ContinuousClock.now - started < .seconds(4) {
            do { try slow.send([request[sent]]) } catch { cut = true; break }
            sent += 1
            if sent == 2 {
                let other = try test.connect()
                try other.send(get("/fast"))
                #expect(try other.readResponse().header("X-Path") == "/fast")
            }
            if slow.readable(within: 0.25) { cut = true; break }
        }
        #expect(cut)
        #expect(sent < request.count)
        #expect(ContinuousClock.now - started < .seconds(3))
        if let response = try? slow.readResponse() {
            #expect(response.status == 408)
            #expect(response.header("Connection") == "close")
        }
        #expect(slow.isClosedByServer())
        #expect(test.log.all.contains { $0.status == 408 })
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        let test = try makeServer { $0.idleTimeout = 0.3 }
        defer { test.stop() }
        let client = try test.connect()
        try client.send(get("/once"))
        #expect(try client.readResponse().status == 200)
        #expect(client.readable(within: 2))
        #expect(client.isClosedByServer())
    }

    @Test func connectionBeyondTheLimitGets503() throws {
        let test = try makeServer { $0.maxConnections = 2 }
        defer { test.stop() }
        let first = try test.connect(), second = try test.connect()
        for client in [first, second] {
            try client.send(get("/held"))
            #expect(try client.readResponse().status == 200)
        }
        let third = try test.connect()
        let refused = try third.readResponse()
        #expect(refused.status == 503)
        #expect(refused.header("Connection") == "close")
        #expect(third.isClosedByServer())
        try first.send(get("/still-served"))
        #expect(try first.readResponse().status == 200)
    }

    @Test func slowHandlerTimesOutWith503() throws {
        let test = try makeServer { $0.handlerTimeout = 0.3 }
        defer { test.stop() }
        let client = try test.connect()
        let started = ContinuousClock.now
        try client.send(get("/stuck?ms=1500"))
        let response = try client.readResponse()
        #expect(ContinuousClock.now - started < .seconds(1.2))
        #expect(response.status == 503)
        #expect(try JSONValue.parse(response.body)["error"]?["code"]?.stringValue == "handler_timeout")
        #expect(response.header("Connection") == "close")
        #expect(client.isClosedByServer())
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n\r\n", "GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
        "NOT HTTP AT ALL\r\n\r\n", "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n",
    ])
    func malformedRequestGets400AndTheConnectionCloses(raw: String) throws {
        let test = try makeServer()
        defer { test.stop() }
        let client = try test.connect()
        try client.send(raw + get("/after"))
        let response = try client.readResponse()
        #expect(response.status == 400)
        #expect(response.header("Connection") == "close")
        #expect(try JSONValue.parse(response.body)["error"]?["code"]?.stringValue != nil)
        #expect(client.isClosedByServer())
        #expect(test.log.all.map(\.status) == [400])
    }

    /// A keep-alive connection's requests run one after another on one handler thread (no thread start
    /// per request); after a late handler the connection closes and a new one gets a fresh worker.
    @Test func keepAliveRequestsShareOneHandlerThreadAndALateOneRetiresIt() throws {
        let test = try makeServer { $0.handlerTimeout = 0.3 } handler: { request in
            if request.path == "/late" { Thread.sleep(forTimeInterval: 0.6) }
            return .text("\(UInt(bitPattern: Int(bitPattern: pthread_self())))")
        }
        defer { test.stop() }
        let client = try test.connect()
        var threads = Set<String>()
        for n in 0..<5 {
            try client.send(get("/n\(n)"))
            let response = try client.readResponse()
            #expect(response.status == 200)
            threads.insert(response.bodyText)
        }
        #expect(threads.count == 1)
        try client.send(get("/late"))
        #expect(try client.readResponse().status == 503)
        #expect(client.isClosedByServer())
        let again = try test.connect()
        try again.send(get("/after"))
        let response = try again.readResponse()
        #expect(response.status == 200)
        #expect(!response.bodyText.isEmpty)
    }

    @Test func gracefulStopLetsAnInFlightHandlerFinish() throws {
        let started = DispatchSemaphore(value: 0)
        let test = try makeServer { $0.handlerTimeout = 5 } handler: { request in
            if request.path == "/slow" {
                started.signal()
                Thread.sleep(forTimeInterval: 0.5)
            }
            return .text("done \(request.path)")
        }
        let idle = try test.connect()
        try idle.send(get("/idle"))
        #expect(try idle.readResponse().status == 200)
        let busy = try test.connect()
        try busy.send(get("/slow"))
        #expect(started.wait(timeout: .now() + 2) == .success)
        let stopStarted = ContinuousClock.now
        test.server.stop(timeout: 5)
        let stopDuration = ContinuousClock.now - stopStarted
        #expect(stopDuration >= .seconds(0.3) && stopDuration < .seconds(3))
        let response = try busy.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == "done /slow")
        #expect(response.header("Connection") == "close")
        #expect(idle.isClosedByServer())
        #expect(test.server.connectionCount == 0)
        #expect(throws: RawClientError.self) { try test.connect() }
    }

    @Test func oneMebibyteBodyRoundTrips() throws {
        let test = try makeServer()
        defer { test.stop() }
        var generator = SystemRandomNumberGenerator()
        let body = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let client = try test.connect()
        try client.send(Array("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body == body)
    }

    @Test func headHasHeadersButNoBody() throws {
        let test = try makeServer { _ in } handler: { _ in .text("hello") }
        defer { test.stop() }
        let client = try test.connect()
        try client.send("HEAD /page HTTP/1.1\r\nHost: h\r\n\r\n" + get("/page"))
        let head = try client.readResponse(bodyless: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "5")
        let full = try client.readResponse()
        #expect(full.bodyText == "hello")
    }

    @Test func logHasOneEntryPerRequestWithDeviceAndWithoutQuery() throws {
        let test = try makeServer()
        let client = try test.connect()
        try client.send(get("/sync/pull?token=secret", "X-Device: DEV-42\r\n"))
        let response = try client.readResponse()
        #expect(response.header("X-Grille-Device") == nil)
        test.stop()
        let entries = test.log.all
        #expect(entries.count == 1)
        #expect(entries.first?.path == "/sync/pull")
        #expect(entries.first?.deviceID == "DEV-42")
        #expect(entries.first?.remoteAddress.hasPrefix("127.0.0.1:") == true)
        #expect(entries.first.map { !$0.description.contains("secret") } == true)
    }
}

@Suite struct HTTPServerLifecycleTests {
    @Test func bindsEveryInterfaceAndRefusesASecondStart() throws {
        let server = HTTPServer(configuration: .init(host: "0.0.0.0", port: 0), handler: { _ in .text("ok") }, log: { _ in })
        let port = try server.start()
        defer { server.stop(timeout: 1) }
        #expect(port > 0)
        #expect(throws: SocketError.self) { _ = try server.start() }
        let client = try RawHTTPClient(port: port)
        try client.send(get("/"))
        #expect(try client.readResponse().bodyText == "ok")
    }

    @Test(arguments: ["localhost", "256.0.0.1", "::1"])
    func rejectsHostsThatAreNotIPv4Addresses(host: String) {
        let server = HTTPServer(configuration: .init(host: host, port: 0), handler: { _ in .text("") }, log: { _ in })
        #expect(throws: SocketError.self) { _ = try server.start() }
    }

    @Test func bodyTooSlowIsCutByTheBodyDeadline() throws {
        let test = try makeServer { $0.bodyTimeout = 0.3 }
        defer { test.stop() }
        let client = try test.connect()
        try client.send("POST /late HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc")
        let response = try client.readResponse()
        #expect(response.status == 408)
        #expect(client.isClosedByServer())
    }

    @Test func declaredBodyOverTheCapIs413() throws {
        let test = try makeServer { $0.limits.maxBodyBytes = 100 }
        defer { test.stop() }
        let client = try test.connect()
        try client.send("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n" + String(repeating: "x", count: 101))
        #expect(try client.readResponse().status == 413)
        #expect(client.isClosedByServer())
    }

    @Test func terminationHandlerRunsOnceOnSIGTERM() {
        let count = Mutex(0)
        let ran = DispatchSemaphore(value: 0)
        HTTPServer.installTerminationHandler {
            count.withLock { $0 += 1 }
            ran.signal()
        }
        defer {
            // Give the test process its default dispositions back, so Ctrl-C and SIGTERM still end a test run.
            signal(SIGTERM, SIG_DFL)
            signal(SIGINT, SIG_DFL)
        }
        // The source registers asynchronously; a signal sent in the first instant would be ignored.
        Thread.sleep(forTimeInterval: 0.2)
        kill(getpid(), SIGTERM)
        #expect(ran.wait(timeout: .now() + 2) == .success)
        kill(getpid(), SIGINT)
        Thread.sleep(forTimeInterval: 0.1)
        #expect(count.withLock { $0 } == 1)
    }
}

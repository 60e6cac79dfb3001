#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// One client connection, served by its own thread from accept to close: read with deadlines, parse,
/// call the handler (with its timeout), write, repeat while keep-alive holds.
struct HTTPConnection {
    let server: HTTPServer
    let socket: Socket
    let id: Int
    let remoteAddress: String
    var parser: HTTPParser
    /// When the request being read began (first byte) and when its header section ended.
    var headStarted: ContinuousClock.Instant?
    var bodyStarted: ContinuousClock.Instant?
    var idleSince = ContinuousClock.now
    var readBuffer = [UInt8](repeating: 0, count: 64 << 10)
    /// Started by the first request that reaches the handler.
    var worker: HandlerWorker?

    init(server: HTTPServer, socket: Socket, id: Int, remoteAddress: String) {
        self.server = server
        self.socket = socket
        self.id = id
        self.remoteAddress = remoteAddress
        self.parser = HTTPParser(limits: server.configuration.limits, remoteAddress: remoteAddress)
    }

    var configuration: HTTPServer.Configuration { server.configuration }

    mutating func run() {
        defer {
            worker?.retire()
            server.release(id)
        }
        while true {
            switch parser.next() {
            case .request(let request):
                let keepOpen = respond(to: request)
                headStarted = nil
                bodyStarted = nil
                idleSince = .now
                guard keepOpen else { return lingeringClose() }

            case .expectContinue:
                guard (try? socket.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), until: writeDeadline())) != nil else {
                    return
                }

            case .failure(let error):
                refuse(with: error)
                return lingeringClose()

            case .needMoreData:
                let phase = parser.phase
                if phase == .idle && server.isStopping { return }
                markPhaseStart(phase)
                let deadline = switch phase {
                case .idle: idleSince + seconds(configuration.idleTimeout)
                case .head: (headStarted ?? .now) + seconds(configuration.headerTimeout)
                case .body: (bodyStarted ?? .now) + seconds(configuration.bodyTimeout)
                }
                // Between requests, a stop wakes the wait; within a request, only its deadline ends it.
                let wake = phase == .idle && !server.isStopping ? server.wake.read : nil
                let result: Socket.ReadResult
                do {
                    result = try socket.read(into: &readBuffer, until: deadline, wake: wake)
                } catch {
                    return
                }
                switch result {
                case .bytes(let count):
                    parser.feed(readBuffer[0..<count])
                    markPhaseStart(parser.phase)
                case .closed:
                    return
                case .woken:
                    continue
                case .timedOut:
                    if phase == .idle { return }
                    refuse(with: .requestTimeout)
                    return lingeringClose()
                }
            }
        }
    }

    mutating func markPhaseStart(_ phase: HTTPParser.Phase) {
        if phase != .idle && headStarted == nil { headStarted = .now }
        if phase == .body && bodyStarted == nil { bodyStarted = .now }
    }

    /// Runs the handler with its timeout, writes the answer and logs it; false when the connection must close.
    mutating func respond(to received: HTTPRequest) -> Bool {
        let request = server.configuration.trustProxy ? received.forwarded() : received
        let started = ContinuousClock.now
        let answer = callHandler(request)
        // Checked after the handler: a stop that began meanwhile closes the connection after this answer.
        let keepAlive = answer != nil && request.wantsKeepAlive && !server.isStopping
        let response = answer ?? HTTPResponse(error: HTTPError.handlerTimeout)
        let (bytes, deviceID, status) = server.serialize(response, method: request.method, keepAlive: keepAlive)
        let written = (try? socket.write(bytes, until: writeDeadline())) != nil
        server.log(HTTPLogEntry(
            method: request.method, path: request.path, status: status,
            durationMilliseconds: HTTPServer.milliseconds(since: started), deviceID: deviceID,
            remoteAddress: request.remoteAddress
        ))
        return written && keepAlive
    }

    /// Runs the handler on the connection's handler thread and waits for it at most `handlerTimeout`;
    /// nil when it is late (the connection then closes and the worker is retired).
    mutating func callHandler(_ request: HTTPRequest) -> HTTPResponse? {
        if worker == nil { worker = HandlerWorker(handler: server.handler) }
        let call = worker!.submit(request)
        guard call.done.wait(timeout: .now() + HTTPServer.dispatchInterval(configuration.handlerTimeout)) == .success else {
            worker?.retire()
            worker = nil
            return nil
        }
        return call.result.withLock { $0 }
    }

    /// Answers a request that will not be handled (malformed, too slow) with `Connection: close`.
    func refuse(with error: HTTPError) {
        let started = ContinuousClock.now
        let bytes = server.serialize(HTTPResponse(error: error), method: "GET", keepAlive: false).bytes
        try? socket.write(bytes, until: writeDeadline())
        server.log(HTTPLogEntry(
            method: "-", path: "-", status: error.status,
            durationMilliseconds: HTTPServer.milliseconds(since: started), deviceID: nil, remoteAddress: remoteAddress
        ))
    }

    /// Half-closes, then drains what the peer still sends for up to `lingerTimeout`, so that closing with
    /// unread input does not reset the connection before the peer has read our last response.
    mutating func lingeringClose() {
        socket.shutdownWrite()
        let deadline = ContinuousClock.now + seconds(configuration.lingerTimeout)
        var drained = 0
        while drained < 1 << 20, ContinuousClock.now < deadline {
            guard case .bytes(let count) = try? socket.read(into: &readBuffer, until: deadline) else { return }
            drained += count
        }
    }

    func writeDeadline() -> ContinuousClock.Instant {
        .now + seconds(configuration.writeTimeout)
    }

    func seconds(_ value: Double) -> Duration {
        HTTPServer.duration(value)
    }
}

/// The rendezvous between a connection and its handler's thread. Sendable through its lock and semaphore.
final class HandlerCall: Sendable {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<HTTPResponse?>(nil)
}

/// The thread that runs a connection's handlers, one request after another, so that a keep-alive client
/// costs one thread start per connection instead of one per request. The connection waits for each call
/// at most its handler timeout; a worker still busy with a late handler is retired (it ends once that
/// handler returns) and the connection, which then closes, never hands it more work.
final class HandlerWorker: Sendable {
    private struct State {
        var queued: (HTTPRequest, HandlerCall)?
        var retired = false
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    init(handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        HTTPServer.detach(name: "http-handler") { [self] in
            while true {
                wake.wait()
                let next: (HTTPRequest, HandlerCall)?? = state.withLock { state in
                    if let queued = state.queued {
                        state.queued = nil
                        return .some(queued)
                    }
                    return state.retired ? .some(nil) : .none
                }
                guard let job = next else { continue }
                guard let (request, call) = job else { return }
                let response = handler(request)
                call.result.withLock { $0 = response }
                call.done.signal()
            }
        }
    }

    func submit(_ request: HTTPRequest) -> HandlerCall {
        let call = HandlerCall()
        state.withLock { $0.queued = (request, call) }
        wake.signal()
        return call
    }

    /// The thread ends once its current handler (if any) has returned.
    func retire() {
        state.withLock { $0.retired = true }
        wake.signal()
    }
}

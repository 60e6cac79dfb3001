#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Synchronization

/// A small HTTP/1.1 server over POSIX sockets, made to sit behind nginx on the academy server and to serve
/// the agent's local UI.
///
/// Model: one accept thread and one thread per connection, up to `maxConnections` (one more is answered
/// 503 at once). Sockets are non-blocking and every wait is a `poll` with a deadline: header deadline,
/// body deadline, idle keep-alive timeout, write timeout. The handler is synchronous and may block (it
/// calls into SQLite); it runs on its own thread so that the connection can give up on it after
/// `handlerTimeout` (503 `handler_timeout`, close; a thread cannot be killed, so a late handler runs to its
/// end and its result is dropped). Keep-alive is the HTTP/1.1 default, HTTP/1.0 closes unless
/// `Connection: keep-alive`; pipelined requests are answered in order; `Expect: 100-continue` is honoured.
/// Every response carries `Content-Length` (except 204 and 304) and `Date`; HEAD responses have no body.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc9112, https://www.rfc-editor.org/rfc/rfc9110
public final class HTTPServer: Sendable {
    /// The response header a handler sets to name the authenticated device in the log; never sent.
    public static let deviceHeader = "X-Grille-Device"

    public let configuration: Configuration
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let log: @Sendable (HTTPLogEntry) -> Void
    let state = Mutex(State())
    /// A pipe every poll also watches: `stop` writes one byte and never reads it, so it stays readable and
    /// wakes the accept thread and every idle connection at once. Closed in `deinit`, when no thread is left.
    let wake: (read: Int32, write: Int32)

    struct State {
        var started = false
        var stopping = false
        var connections: [Int: Socket] = [:]
        var nextConnectionID = 0
        var acceptThreadDone: DispatchSemaphore?
    }

    public init(
        configuration: Configuration,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse,
        log: @escaping @Sendable (HTTPLogEntry) -> Void
    ) {
        self.configuration = configuration
        self.handler = handler
        self.log = log
        self.wake = Self.makeWakePipe()
    }

    deinit {
        Self.closeWakePipe(wake)
    }

    /// Binds `configuration.host`/`port`, starts accepting and returns the bound port. Ignores `SIGPIPE`
    /// for the process (writes use `MSG_NOSIGNAL`, but other libraries may not). Call once.
    public func start() throws -> Int {
        Self.ignoreBrokenPipe()
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            return state.started || state.stopping
        }
        guard !alreadyStarted else { throw SocketError(operation: "start (déjà démarré ou arrêté)", errno: EALREADY) }
        let listener = try Socket.listen(host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        let port: Int
        do {
            port = try listener.boundPort()
        } catch {
            listener.close()
            throw error
        }
        let done = DispatchSemaphore(value: 0)
        state.withLock { $0.acceptThreadDone = done }
        Self.detach(name: "http-accept") { [self] in
            acceptLoop(listener)
            listener.close()
            done.signal()
        }
        return port
    }

    /// Stops gracefully: no new connections, idle keep-alive connections closed, requests in progress
    /// allowed to finish and be answered (with `Connection: close`) for up to `timeout` seconds; whatever
    /// is still open then is shut down. Returns when all connections are closed or the timeout is over.
    public func stop(timeout: Double) {
        let deadline = ContinuousClock.now + Self.duration(timeout)
        let (alreadyStopping, acceptDone) = state.withLock { state in
            defer { state.stopping = true }
            return (state.stopping, state.acceptThreadDone)
        }
        if !alreadyStopping { Self.signalWakePipe(wake) }
        if let acceptDone {
            _ = acceptDone.wait(timeout: .now() + .milliseconds(Int(Socket.milliseconds(until: deadline))))
            // Let a later call to stop pass through as well.
            acceptDone.signal()
        }
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.connections.isEmpty }) { return }
            Thread.sleep(forTimeInterval: 0.005)
        }
        state.withLock { state in
            for socket in state.connections.values { socket.shutdownBoth() }
        }
    }

    /// Connections open right now.
    public var connectionCount: Int {
        state.withLock { $0.connections.count }
    }

    var isStopping: Bool {
        state.withLock { $0.stopping }
    }

    func acceptLoop(_ listener: Socket) {
        while !isStopping {
            let revents = listener.wait(Int16(POLLIN), until: nil, wake: wake.read)
            if revents == -1 { return }
            let accepted: (Socket, String)?
            do {
                accepted = try listener.accept()
            } catch {
                if error.errno == EMFILE || error.errno == ENFILE || error.errno == ENOMEM || error.errno == ENOBUFS {
                    // Out of descriptors: let connections close instead of spinning on the pending one.
                    Thread.sleep(forTimeInterval: 0.05)
                    continue
                }
                Console.error("grille http : \(error)")
                return
            }
            guard let (socket, remoteAddress) = accepted else { continue }
            let admission = state.withLock { state -> Result<Int, HTTPError> in
                if state.stopping { return .failure(.shuttingDown) }
                if state.connections.count >= configuration.maxConnections { return .failure(.serverBusy) }
                let id = state.nextConnectionID
                state.nextConnectionID += 1
                state.connections[id] = socket
                return .success(id)
            }
            switch admission {
            case .success(let id):
                Self.detach(name: "http-connection") { [self] in
                    var connection = HTTPConnection(server: self, socket: socket, id: id, remoteAddress: remoteAddress)
                    connection.run()
                }
            case .failure(let refusal):
                refuse(socket, remoteAddress: remoteAddress, with: refusal)
            }
        }
    }

    /// Answers a connection over the limit from the accept thread without waiting on the peer: the short
    /// response fits the empty send buffer; whatever the peer already sent is drained so that closing does
    /// not reset the connection before the peer reads the answer.
    func refuse(_ socket: Socket, remoteAddress: String, with refusal: HTTPError) {
        let started = ContinuousClock.now
        let response = HTTPResponse(error: refusal)
        let bytes = serialize(response, method: "GET", keepAlive: false).bytes
        try? socket.write(bytes, until: started + .milliseconds(100))
        socket.shutdownWrite()
        socket.discardPending()
        socket.close()
        log(HTTPLogEntry(
            method: "-", path: "-", status: refusal.status,
            durationMilliseconds: Self.milliseconds(since: started), deviceID: nil, remoteAddress: remoteAddress
        ))
    }

    /// Called by a connection's thread as its last act: forgets the socket and closes it under the lock,
    /// so `stop` never shuts down a descriptor number that was already reused.
    func release(_ id: Int) {
        state.withLock { state in
            state.connections.removeValue(forKey: id)?.close()
        }
    }

    /// A configured number of seconds as whole milliseconds: negative or NaN is 0, absurdly large (or infinite)
    /// is capped at a year, so no setting can trap a conversion.
    static func clampedMilliseconds(_ seconds: Double) -> Int {
        seconds.isNaN ? 0 : Int(min(max(seconds, 0), 31_536_000) * 1000)
    }

    static func duration(_ seconds: Double) -> Duration {
        .milliseconds(clampedMilliseconds(seconds))
    }

    static func dispatchInterval(_ seconds: Double) -> DispatchTimeInterval {
        .milliseconds(clampedMilliseconds(seconds))
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let (seconds, attoseconds) = start.duration(to: .now).components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

#if canImport(Glibc)
import Glibc

/// A thin owner-less wrapper over a non-blocking TCP socket descriptor. Every wait goes through `poll`
/// with a deadline, every call retries on `EINTR`, and `send` uses `MSG_NOSIGNAL` so a peer that went away
/// is an error, never a `SIGPIPE`.
///
/// Spec: POSIX `socket(2)`, `poll(2)`, `send(2)`; Linux `tcp(7)`.
struct Socket: Sendable, Hashable {
    let descriptor: Int32

    /// What a read produced.
    enum ReadResult: Equatable {
        case bytes(Int)
        case closed
        case timedOut
        /// The server's wake-up descriptor became readable (a stop began) before any data arrived.
        case woken
    }

    /// A listening socket bound to an IPv4 `host` (`127.0.0.1`, `0.0.0.0`, …) and `port` (0: ephemeral).
    static func listen(host: String, port: Int, backlog: Int32) throws(SocketError) -> Socket {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(clamping: port)).bigEndian
        guard (0...65535).contains(port), inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw SocketError(operation: "inet_pton(\(host):\(port))", errno: EINVAL)
        }
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw .makeFailed("socket") }
        let socket = Socket(descriptor: descriptor)
        do throws(SocketError) {
            try socket.configure()
            var reuse: Int32 = 1
            guard setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw .makeFailed("setsockopt(SO_REUSEADDR)")
            }
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw .makeFailed("bind(\(host):\(port))") }
            guard Glibc.listen(descriptor, backlog) == 0 else { throw .makeFailed("listen") }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Close-on-exec and non-blocking: every wait is a `poll` with a deadline.
    func configure() throws(SocketError) {
        guard fcntl(descriptor, F_SETFD, FD_CLOEXEC) == 0 else { throw .makeFailed("fcntl(FD_CLOEXEC)") }
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw .makeFailed("fcntl(O_NONBLOCK)")
        }
    }

    /// The port the socket is bound to (what an ephemeral bind picked).
    func boundPort() throws(SocketError) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { throw .makeFailed("getsockname") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Accepts one pending connection, configured non-blocking, with the peer's `ip:port`; nil when none
    /// is pending or it vanished (`EAGAIN`, `ECONNABORTED`, `EINTR`…).
    func accept() throws(SocketError) -> (Socket, String)? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let client = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(descriptor, $0, &length) }
        }
        if client < 0 {
            switch errno {
            case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO, EPERM:
                return nil
            default:
                throw .makeFailed("accept")
            }
        }
        let socket = Socket(descriptor: client)
        do {
            try socket.configure()
        } catch {
            socket.close()
            return nil
        }
        var noDelay: Int32 = 1
        _ = setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        return (socket, Self.describe(address))
    }

    static func describe(_ address: sockaddr_in) -> String {
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        var inAddress = address.sin_addr
        guard inet_ntop(AF_INET, &inAddress, &text, socklen_t(text.count)) != nil else { return "" }
        let ip = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(ip):\(UInt16(bigEndian: address.sin_port))"
    }

    /// Waits until the socket is ready for `events` (or `wake` is readable), at most until `deadline`.
    /// Returns the socket's revents, 0 on timeout, or -1 when woken.
    func wait(_ events: Int16, until deadline: ContinuousClock.Instant?, wake: Int32? = nil) -> Int16 {
        while true {
            var descriptors = [pollfd(fd: descriptor, events: events, revents: 0)]
            if let wake { descriptors.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0)) }
            let timeout = deadline.map(Self.milliseconds(until:)) ?? -1
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                return Int16(POLLERR)
            }
            if ready == 0 {
                if let deadline, ContinuousClock.now < deadline { continue }
                return 0
            }
            if descriptors[0].revents != 0 { return descriptors[0].revents }
            return -1
        }
    }

    /// Whole milliseconds until `deadline`, rounded up so a wait never ends just before it; 0 once past.
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int32 {
        let remaining = ContinuousClock.now.duration(to: deadline)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    /// Reads what is available into `buffer` (up to its count), waiting until `deadline`.
    func read(into buffer: inout [UInt8], until deadline: ContinuousClock.Instant?, wake: Int32? = nil)
        throws(SocketError) -> ReadResult {
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { return .bytes(count) }
            if count == 0 { return .closed }
            switch errno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                let revents = wait(Int16(POLLIN), until: deadline, wake: wake)
                if revents == 0 { return .timedOut }
                if revents == -1 { return .woken }
            case ECONNRESET, ENOTCONN, EPIPE:
                return .closed
            default:
                throw .makeFailed("recv")
            }
        }
    }

    /// Writes all of `bytes`, across partial writes, or throws (`ETIMEDOUT` past `deadline`).
    func write(_ bytes: [UInt8], until deadline: ContinuousClock.Instant?) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent >= 0 {
                offset += sent
                continue
            }
            switch errno {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK:
                let revents = wait(Int16(POLLOUT), until: deadline)
                if revents == 0 { throw SocketError(operation: "send", errno: ETIMEDOUT) }
            default:
                throw .makeFailed("send")
            }
        }
    }

    /// Reads and discards whatever is already queued, without waiting.
    func discardPending() {
        var scratch = [UInt8](repeating: 0, count: 16 << 10)
        for _ in 0..<64 {
            let count = scratch.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            return
        }
    }

    /// Stops sending (the peer reads end of stream after what was written) while still receiving.
    func shutdownWrite() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Ends both directions now, waking any thread blocked on the socket; the descriptor stays open.
    func shutdownBoth() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    func close() {
        // Not retried on EINTR: on Linux the descriptor is released even then, and a retry could close another.
        _ = Glibc.close(descriptor)
    }
}

extension SocketError {
    /// Captures the current `errno` right after the failed call.
    static func makeFailed(_ operation: String) -> SocketError {
        SocketError(operation: operation, errno: Glibc.errno)
    }
}
#endif

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-request-per-connection HTTP relay on 127.0.0.1 between an agent and the server, for fault
/// tests: it can hold the server's answer (the server has committed, the agent never reads it), or
/// answer `401` itself like a misconfigured reverse proxy.
public final class TestProxy: @unchecked Sendable {
    // @unchecked: the mode and counters are only touched under `lock`.
    public enum Mode: Sendable { case relay, holdResponses, plain401 }

    private let lock = NSLock()
    private var mode: Mode = .relay
    private var held = 0
    private let listener: Int32
    public let port: Int
    private let upstream: Int

    public init(upstreamPort: Int) throws {
        upstream = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 64)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: bound.sin_port))
        listener = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    public func set(_ newMode: Mode) {
        lock.lock(); mode = newMode; lock.unlock()
    }

    /// How many server answers were held back so far.
    public var heldCount: Int {
        lock.lock(); defer { lock.unlock() }
        return held
    }

    public func close() { shutdown(listener, Int32(SHUT_RDWR)); Glibc.close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { if errno == EINTR { continue }; return }
            Thread.detachNewThread { [self] in handle(client) }
        }
    }

    private func handle(_ client: Int32) {
        defer { Glibc.close(client) }
        guard let request = readMessage(client) else { return }
        lock.lock(); let current = mode; lock.unlock()
        if current == .plain401 {
            sendAll(client, Array("HTTP/1.1 401 Unauthorized\r\nContent-Length: 12\r\nConnection: close\r\n\r\nUnauthorized".utf8))
            return
        }
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(server) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(upstream)).bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return }
        // One request per connection: ask both sides to close afterwards.
        sendAll(server, forceClose(request))
        guard let response = readMessage(server) else { return }
        if current == .holdResponses {
            lock.lock(); held += 1; lock.unlock()
            sleep(30)   // the agent is killed meanwhile
            return
        }
        sendAll(client, response)
    }

    private func forceClose(_ message: [UInt8]) -> [UInt8] {
        let text = String(decoding: message, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return message }
        let head = text[..<end.lowerBound].split(separator: "\r\n").filter { !$0.lowercased().hasPrefix("connection:") }.joined(separator: "\r\n")
        let headBytes = Array((head + "\r\nConnection: close\r\n\r\n").utf8)
        let bodyStart = text.utf8.distance(from: text.startIndex, to: end.upperBound)
        return headBytes + message[bodyStart...]
    }

    /// Reads one HTTP message (head + Content-Length body).
    private func readMessage(_ fd: Int32) -> [UInt8]? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var bodyEnd: Int?
        while bodyEnd == nil || buffer.count < bodyEnd! {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return buffer.isEmpty ? nil : buffer }
            buffer += chunk[0..<n]
            if bodyEnd == nil, let headEnd = findHeadEnd(buffer) {
                let head = String(decoding: buffer[0..<headEnd], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                bodyEnd = headEnd + 4 + length
            }
        }
        return buffer
    }

    private func findHeadEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }
}

#if canImport(Glibc)
import Glibc
import Foundation

extension HTTPServer {
    /// `SIGPIPE` would kill the process when a peer closes while we write; ignore it for the process.
    static func ignoreBrokenPipe() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    static func makeWakePipe() -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            // Without a pipe, stop still works: connections notice it at their next deadline.
            return (-1, -1)
        }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
        return (descriptors[0], descriptors[1])
    }

    static func signalWakePipe(_ wake: (read: Int32, write: Int32)) {
        guard wake.write >= 0 else { return }
        var byte: UInt8 = 1
        while Glibc.write(wake.write, &byte, 1) < 0 && errno == EINTR {}
    }

    static func closeWakePipe(_ wake: (read: Int32, write: Int32)) {
        if wake.read >= 0 { _ = Glibc.close(wake.read) }
        if wake.write >= 0 { _ = Glibc.close(wake.write) }
    }

    /// Runs `body` on a new detached thread.
    static func detach(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}
#endif

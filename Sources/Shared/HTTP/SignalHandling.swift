#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

extension HTTPServer {
    /// Whether a termination signal has already run the handler.
    private static let terminationFired = Mutex(false)

    /// Runs `body` once, on a background queue, when the process receives SIGTERM or SIGINT, so that `main`
    /// can stop the server gracefully, checkpoint and exit. The signals' default action (terminate at once)
    /// is turned off first, as a dispatch signal source requires; a second signal is ignored. Call once, from
    /// `main`, before starting the server. The sources register asynchronously: a signal arriving within the
    /// first moments after this call is ignored rather than handled.
    ///
    /// Related documentation: `DispatchSource.makeSignalSource`, POSIX `signal(3)`.
    public static func installTerminationHandler(_ body: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "grille.termination")
        for number in [SIGTERM, SIGINT] {
            _ = signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                let first = terminationFired.withLock { fired in
                    defer { fired = true }
                    return !fired
                }
                if first { body() }
            }
            source.resume()
            // The sources must outlive this call and live as long as the process: retained on purpose, never released.
            _ = Unmanaged.passRetained(source as AnyObject)
        }
    }
}

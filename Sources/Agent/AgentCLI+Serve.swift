import Dispatch
import Foundation
import Shared

extension AgentCLI {
    /// `serve [--interval SECONDS]`: syncs in the foreground every N seconds, one line per sync, until
    /// SIGINT or SIGTERM. A sync in progress finishes (or its retry wait is cut short) before it stops.
    func serve() throws {
        try arguments.allowOnly(["data", "interval"], command: "serve")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent serve [--interval SECONDES]")
        var interval = 60
        if let text = arguments[option: "interval"] {
            guard let value = Int(text), (1...86_400).contains(value) else {
                throw AgentError.user("Intervalle invalide « \(text) » : donnez un nombre entier de secondes entre 1 et 86400.")
            }
            interval = value
        }
        let (store, token, server) = try enrolledStore()
        let stop = StopSignals.install()
        var retry = services.retry
        retry.attempts = min(retry.attempts, 3)
        let wait = retry.sleep
        retry.sleep = { seconds in
            // A stop request cuts the retry wait short.
            stop.isRequested ? false : (stop.wait(seconds: seconds) ? false : wait(0))
        }
        let engine = makeEngine(store: store, token: token, server: server, retry: retry)
        say("Synchronisation avec \(server) toutes les \(interval) s ; Ctrl-C pour arrêter.")
        while !stop.isRequested {
            let time = AgentCLI.formatTime(clock.nowMilliseconds())
            do {
                let summary = try engine.sync()
                say("\(time)  \(summary.line)")
                summary.notices.forEach { say("\(time)  \($0)") }
            } catch let error as SyncError {
                if case .wiped = error { throw error }
                if case .cancelled = error { break }
                warn("\(time)  \(error.message)")
            }
            if stop.wait(seconds: Double(interval)) { break }
        }
        say("Arrêt demandé : synchronisation arrêtée.")
    }
}

/// SIGINT and SIGTERM turned into a stop request that waits can observe (through `DispatchSource`, so
/// nothing runs in signal context).
final class StopSignals: @unchecked Sendable {
    // @unchecked: `requested` is only read and written under `lock`; `sources` is set once in `install`.
    private let lock = NSLock()
    private var requested = false
    private let wakeUp = DispatchSemaphore(value: 0)
    private var sources: [any DispatchSourceSignal] = []

    static func install() -> StopSignals {
        let stop = StopSignals()
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.request() }
            source.resume()
            stop.sources.append(source)
        }
        return stop
    }

    func request() {
        lock.lock()
        requested = true
        lock.unlock()
        wakeUp.signal()
    }

    var isRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return requested
    }

    /// Waits up to `seconds`; true when a stop was requested (at once or during the wait).
    func wait(seconds: Double) -> Bool {
        if isRequested { return true }
        _ = wakeUp.wait(timeout: .now() + seconds)
        return isRequested
    }
}

import Dispatch
import Foundation
import Shared
import Synchronization

/// The background sync of `grille-agent serve`: every `interval` seconds, or at once when the page asks
/// (« Synchroniser maintenant », after an enrollment), one `SyncEngine.sync()` when this computer is enrolled.
/// Each sync opens its own `LocalStore` on the loop's thread and closes it, so an enrollment made from the
/// page (which may delete and recreate the data files) is picked up at the next turn. One line per sync goes
/// to standard output (success) or standard error (failure), as before the web interface existed.
///
/// What the indicator shows (online or not, last error, sync in progress) lives in `state`.
final class LocalUISync: Sendable {
    struct State: Sendable, Equatable {
        var syncing = false
        /// nil before the first answer (or not enrolled); false when the server could not be reached.
        var online: Bool?
        /// The French message of the last failed sync; nil after a success.
        var lastError: String?
        /// Wall time of the last attempt, in milliseconds.
        var lastAttempt: Int64?
        /// Attempts finished (or skipped, not enrolled) since launch: what `waitForSync` watches.
        var completed = 0
        /// The server announced on standard output (printed again when it changes).
        var announced: String?
        var notEnrolledAnnounced = false
        /// A message that stays until the next enrollment (the device was revoked and its data deleted).
        var notice: String?
        var stopped = false
    }

    let state = Mutex(State())
    /// Held during a sync, and by an enrollment, which may replace the data files.
    let exclusive = Mutex(())
    private let wakeUp = DispatchSemaphore(value: 0)

    let dataDirectory: String
    let interval: Int
    let clock: any WallClock
    let services: AgentCLI.Services
    let sink: AgentCLI.OutputSink

    init(dataDirectory: String, interval: Int, clock: any WallClock, services: AgentCLI.Services, sink: AgentCLI.OutputSink) {
        self.dataDirectory = dataDirectory
        self.interval = interval
        self.clock = clock
        self.services = services
        self.sink = sink
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Loops until `stop()`: sync, then wait for the interval or a request.
    func run() {
        while !isStopped {
            performSync()
            if isStopped { break }
            _ = wakeUp.wait(timeout: .now() + .seconds(interval))
            while wakeUp.wait(timeout: .now()) == .success {}
        }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        wakeUp.signal()
    }

    /// Asks for a sync now; returns the attempt count to wait for (one more, or two when a sync is running,
    /// since it may have pushed before the latest write).
    @discardableResult
    func requestNow() -> Int {
        let target = state.withLock { $0.completed + ($0.syncing ? 2 : 1) }
        wakeUp.signal()
        return target
    }

    /// Waits until `target` attempts have finished or `timeout` seconds passed; true when they have.
    func waitForSync(_ target: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if state.withLock({ $0.completed >= target || $0.stopped }) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// One sync when enrolled (the token file first, so a folder never enrolled is never created here).
    func performSync() {
        exclusive.withLock { _ in syncOnce() }
    }

    private func syncOnce() {
        let directory = dataDirectory
        let store: LocalStore
        let token: String
        let server: String
        do {
            guard FileManager.default.fileExists(atPath: LocalStore.tokenPath(directory)),
                  let readToken = try LocalStore.readToken(directory: directory) else { return skipNotEnrolled() }
            store = try LocalStore(directory: directory, clock: clock)
            guard let url = try store.setting(LocalStore.SyncKey.serverURL) else { return skipNotEnrolled() }
            token = readToken
            server = url
        } catch {
            let message = LocalUIError.from(error).message
            sink.err("\(AgentCLI.formatTime(clock.nowMilliseconds()))  \(message)")
            return finish { $0.lastError = message }
        }
        let announce = state.withLock { state -> Bool in
            defer { state.announced = server; state.syncing = true; state.notice = nil }
            return state.announced != server
        }
        if announce { sink.out("Synchronisation avec \(server) toutes les \(interval) s ; Ctrl-C pour arrêter.") }

        var retry = services.retry
        retry.attempts = min(retry.attempts, 3)
        let sleep = retry.sleep
        retry.sleep = { [self] seconds in
            // A stop request cuts the retry wait short.
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if isStopped { return false }
                Thread.sleep(forTimeInterval: min(0.05, max(0, deadline.timeIntervalSinceNow)))
            }
            return isStopped ? false : sleep(0)
        }
        var configuration = SyncEngine.Configuration()
        configuration.retry = retry
        let engine = SyncEngine(store: store, transport: services.transport(server), token: token, clock: clock, configuration: configuration)
        let time = AgentCLI.formatTime(clock.nowMilliseconds())
        do {
            let summary = try engine.sync()
            sink.out("\(time)  \(summary.line)")
            summary.notices.forEach { sink.out("\(time)  \($0)") }
            finish { $0.online = true; $0.lastError = nil }
        } catch let error as SyncError {
            switch error {
            case .cancelled:
                finish { _ in }
            case .wiped:
                sink.err("\(time)  \(error.message)")
                finish { $0.online = nil; $0.lastError = error.message; $0.notice = error.message; $0.announced = nil }
            case .unreachable:
                sink.err("\(time)  \(error.message)")
                finish { $0.online = false; $0.lastError = error.message }
            default:
                sink.err("\(time)  \(error.message)")
                finish { $0.online = true; $0.lastError = error.message }
            }
        } catch {
            let message = LocalUIError.from(error).message
            sink.err("\(time)  \(message)")
            finish { $0.lastError = message }
        }
    }

    private func skipNotEnrolled() {
        let first = state.withLock { state -> Bool in
            defer { state.notEnrolledAnnounced = true }
            return !state.notEnrolledAnnounced
        }
        if first {
            sink.out("Cet ordinateur n'est pas encore inscrit : inscrivez-le depuis l'interface (page « Inscription ») ; la synchronisation démarrera ensuite.")
        }
        finish { $0.online = nil; $0.announced = nil }
    }

    private func finish(_ update: (inout State) -> Void) {
        let now = clock.nowMilliseconds()
        state.withLock { state in
            update(&state)
            state.syncing = false
            state.lastAttempt = now
            state.completed += 1
        }
    }
}

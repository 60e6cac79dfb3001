import Foundation
import Shared

/// Replicates the local log with the server: push the pending events, pull what the device may see,
/// apply control records, recover from a server restore, correct a skewed clock. It sees the network
/// only through `Transport` and time only through `WallClock`, so tests and the simulation replace both;
/// nothing in the environment changes what it does. See DESIGN.md, "Sync", and docs/PROTOCOL.md.
///
/// Not Sendable: it drives one `LocalStore`, whose connection never crosses threads.
final class SyncEngine {
    /// Retries of one exchange on network failures and 5xx answers: exponential backoff with jitter.
    struct RetryPolicy: Sendable {
        /// Attempts in all, the first included.
        var attempts = 5
        /// Delay before the second attempt, in seconds; doubles each time, up to `maxDelay`.
        var baseDelay: Double = 0.5
        var maxDelay: Double = 30
        /// Waits `seconds`; returns false when the wait was cut short by a stop request.
        var sleep: @Sendable (Double) -> Bool = { Thread.sleep(forTimeInterval: $0); return true }

        /// The delay before attempt `attempt + 1` (attempt counts from 1), with ±50 % jitter.
        func delay(after attempt: Int) -> Double {
            let exponential = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
            return exponential * Double.random(in: 0.5...1.5)
        }

        /// No waiting at all: for tests.
        static let immediate = RetryPolicy(attempts: 5, baseDelay: 0, maxDelay: 0, sleep: { _ in true })
    }

    struct Configuration: Sendable {
        /// At most this many events per push (the server takes 10,000).
        var pushBatchEvents = 1_000
        /// At most this many bytes of request body per push (the server takes 8 MiB).
        var pushBatchBytes = SyncProtocol.maxPushBytes - 256 * 1024
        /// Events per pull page. A page is held whole while it is applied (its JSON tree and its events),
        /// so this bounds the agent's memory during a first pull: 1,000 events kept a 200,000-event pull
        /// at 46 MiB peak RSS against 70 MiB with 5,000 (docs/BENCHMARKS.md, B7), for about the same speed.
        var pullLimit = 1_000
        var retry = RetryPolicy()
        /// A progress line (the CLI prints it on stderr when it is a terminal).
        var progress: (@Sendable (String) -> Void)?
        /// At most this many clock corrections per push pass, and server restores per sync.
        var maxCorrections = 2

        init() {}
    }

    /// Largest answer body read (a pull page of 1,000 events of up to 64 KiB each, with margin).
    static let answerLimits = JSONLimits(maxDepth: 64, maxBytes: 96 << 20, maxStringBytes: 1 << 20)

    let store: LocalStore
    let transport: any Transport
    let token: String
    let clock: any WallClock
    let configuration: Configuration
    var summary = SyncSummary()

    init(store: LocalStore, transport: any Transport, token: String, clock: any WallClock, configuration: Configuration = Configuration()) {
        self.store = store
        self.transport = transport
        self.token = token
        self.clock = clock
        self.configuration = configuration
    }

    /// One full sync: push, pull until the server has nothing more, recover from a restore. On
    /// `device_revoked` it writes the unpushed events to a file, deletes the data and throws `.wiped`;
    /// the store must not be used afterwards.
    func sync() throws -> SyncSummary {
        summary = SyncSummary()
        do {
            try pushPending()
            var restores = 0
            while let epoch = try pullAll() {
                guard restores < configuration.maxCorrections else {
                    throw SyncError.badAnswer("le serveur change d'époque à chaque échange")
                }
                restores += 1
                try repushAll()
                // Also marks the scopes for reconciliation by the next pull (`SyncKey.scopesPending`).
                try store.resetForEpoch(epoch)
                summary.epochChanged = true
                let notice = "Le serveur a été restauré : \(summary.repushed) saisie(s) lui ont été renvoyées depuis cet ordinateur."
                summary.notices.append(notice)
                try store.addNotice(kind: "restore", message: notice)
            }
            // A purge leaves freed pages and WAL frames holding the session's data: compact, outside any transaction.
            if try !store.compactIfPending() {
                let notice = "Le nettoyage du fichier de données après la purge attend qu'aucun autre programme Grille ne l'utilise : il sera refait à la prochaine synchronisation."
                summary.notices.append(notice)
                try store.addNotice(kind: "purge", message: notice)
            }
            try store.setSetting(LocalStore.SyncKey.lastSync, String(clock.nowMilliseconds()))
        } catch SyncError.deviceRevoked {
            throw try wipeAfterRevocation()
        }
        summary.cursor = try store.intSetting(LocalStore.SyncKey.cursor) ?? 0
        summary.epoch = try store.setting(LocalStore.SyncKey.epoch)
        summary.clockOffsetMilliseconds = try store.intSetting(LocalStore.SyncKey.clockOffset) ?? 0
        return summary
    }

    /// Writes every unpushed event (pending and refused) to a dated JSON-lines file in the data
    /// directory, then deletes the database and the token. Returns the error to show.
    func wipeAfterRevocation() throws -> SyncError {
        let events = try store.unpushedEvents().map(\.event)
        var file: String?
        if !events.isEmpty {
            let path = store.datedFileName("saisies-non-envoyees")
            try LocalStore.writeEventLines(events, to: path)
            file = path
        }
        // Leave WAL mode first when no other process holds the file, so that closing this connection
        // later has no WAL file to remove by name.
        try? store.db.execute("PRAGMA journal_mode = DELETE")
        LocalStore.deleteDataFiles(directory: store.directory)
        return .wiped(file: file, events: events.count)
    }

    // MARK: - Exchanges

    func authorized(_ method: String, _ target: String, body: JSONValue? = nil) -> TransportRequest {
        var headers = ["Authorization": "Bearer \(token)", "Accept": "application/json"]
        if body != nil { headers["Content-Type"] = "application/json" }
        return TransportRequest(method: method, target: target, headers: headers, body: body?.canonicalBytes() ?? [])
    }

    /// Sends `request`, retrying network failures and 5xx answers; returns the parsed 2xx body.
    func exchange(_ request: TransportRequest) throws -> JSONValue {
        try Self.exchange(request, over: transport, retry: configuration.retry)
    }

    static func exchange(_ request: TransportRequest, over transport: any Transport, retry: RetryPolicy) throws -> JSONValue {
        var attempt = 0
        while true {
            attempt += 1
            let failure: SyncError
            do {
                let response = try transport.send(request)
                switch response.status {
                case 200..<300:
                    do {
                        return try JSONValue.parse(response.body, limits: answerLimits)
                    } catch {
                        throw SyncError.badAnswer("JSON invalide : \(error)")
                    }
                case 401 where response.errorCode == "device_revoked":
                    throw SyncError.deviceRevoked
                case 401:
                    throw SyncError.unauthorized(code: response.errorCode, message: response.errorMessage)
                case 408, 429, 500...599:
                    failure = .serverFailure(status: response.status, message: response.errorMessage)
                default:
                    throw SyncError.refused(status: response.status, code: response.errorCode, message: response.errorMessage)
                }
            } catch let error as TransportError {
                failure = .unreachable(error.message)
            }
            guard attempt < retry.attempts else { throw failure }
            guard retry.sleep(retry.delay(after: attempt)) else { throw SyncError.cancelled }
        }
    }

    func report(_ text: String) {
        configuration.progress?(text)
    }
}

@available(*, unavailable)
extension SyncEngine: Sendable {}

import Foundation
import TestSupport
@testable import Agent
@testable import Shared

/// A transport that records every request and answers with prepared answers, in order. An answer is
/// a fixed response, a transport error, or a closure (often a `FakeServer`); when the script is used
/// up, `fallback` answers.
final class ScriptedTransport: Transport, @unchecked Sendable {
    // @unchecked: `script` and `recorded` are only touched under `lock`.
    enum Answer {
        case respond(TransportResponse)
        case fail(TransportError)
        case handle(@Sendable (TransportRequest) -> TransportResponse)
    }

    private let lock = NSLock()
    private var script: [Answer]
    private var recorded: [TransportRequest] = []
    let fallback: (@Sendable (TransportRequest) -> TransportResponse)?

    init(_ script: [Answer] = [], fallback: (@Sendable (TransportRequest) -> TransportResponse)? = nil) {
        self.script = script
        self.fallback = fallback
    }

    convenience init(server: FakeServer) {
        self.init([], fallback: { server.handle($0) })
    }

    var requests: [TransportRequest] {
        lock.lock(); defer { lock.unlock() }
        return recorded
    }

    func enqueue(_ answers: Answer...) {
        lock.lock(); script += answers; lock.unlock()
    }

    func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse {
        lock.lock()
        recorded.append(request)
        let next = script.isEmpty ? nil : script.removeFirst()
        lock.unlock()
        switch next {
        case .respond(let response): return response
        case .fail(let error): throw error
        case .handle(let handler): return handler(request)
        case nil:
            guard let fallback else { throw TransportError("script épuisé") }
            return fallback(request)
        }
    }

    /// The pushed events of each push request, in order.
    var pushes: [PushRequest] {
        requests.filter { $0.target == "/v1/sync/push" }.compactMap { try? PushRequest(json: JSONValue.parse($0.body)) }
    }

    var pullTargets: [String] {
        requests.filter { $0.target.hasPrefix("/v1/sync/pull") }.map(\.target)
    }
}

/// A transport that throws `failures` network errors (or answers `status`) before handing over to `next`.
final class FailingTransport: Transport, @unchecked Sendable {
    // @unchecked: `remaining` and `attempts` are only touched under `lock`.
    private let lock = NSLock()
    private var remaining: Int
    private(set) var attempts = 0
    let status: Int?
    let next: any Transport

    init(failures: Int, status: Int? = nil, then next: any Transport) {
        remaining = failures
        self.status = status
        self.next = next
    }

    func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse {
        lock.lock()
        attempts += 1
        let fail = remaining > 0
        if fail { remaining -= 1 }
        lock.unlock()
        if fail {
            if let status {
                return TransportResponse(status: status, body: Array(#"{"error":{"code":"unavailable","message":"Serveur en maintenance."}}"#.utf8))
            }
            throw TransportError("connexion refusée ou interrompue")
        }
        return try next.send(request)
    }
}

/// An in-memory server that follows the sync contract closely enough for the agent's tests: idempotent
/// push with receipts, clock-skew refusals, extra refusal rules, pull pages with a scan limit, controls
/// dropped once acknowledged, grant delivering the scope's history, epoch.
final class FakeServer: @unchecked Sendable {
    // @unchecked: `handle` works under `lock`; tests change the settings between exchanges, from the
    // thread that runs the engine, never during one.
    struct Stored {
        let seq: Int64
        let event: Event
        let receipt: String
    }

    private let lock = NSLock()
    let key: [UInt8] = Array(repeating: 7, count: 32)
    let clock: ManualClock
    var epoch = "epoch-1"
    var maxSkew: Int64 = SyncProtocol.defaultMaxSkewMilliseconds
    private(set) var log: [Stored] = []
    private var index: [String: Int] = [:]
    var controls: [SyncControl] = []
    var acknowledged: Int64 = 0
    /// Extra refusal rules, checked after duplicates and skew.
    var reject: @Sendable (Event) -> PushRejection? = { _ in nil }
    /// What the device may see (every event by default).
    var visible: @Sendable (Event) -> Bool = { _ in true }
    /// The scopes a pull with `scopes=1` is answered (nil: the answer carries none).
    var allowedScopes: [String]?
    /// Receipts the server checked on re-pushed events (id → valid).
    var receiptChecks: [String: Bool] = [:]

    init(clock: ManualClock = ManualClock()) { self.clock = clock }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    var head: Int64 { locked { log.last?.seq ?? 0 } }

    /// Adds events as if another device (or the roster import) had pushed them.
    func seed(_ events: [Event]) {
        locked {
            for event in events { append(event) }
        }
    }

    @discardableResult
    private func append(_ event: Event) -> Stored {
        let stored = Stored(seq: (log.last?.seq ?? 0) + 1, event: event, receipt: Receipt.make(for: event, key: key))
        index[event.id] = log.count
        log.append(stored)
        return stored
    }

    /// Forgets everything after `seq` and changes the epoch, like a restore from an older backup.
    func restore(keepingThrough seq: Int64, epoch newEpoch: String) {
        locked {
            log.removeAll { $0.seq > seq }
            index = Dictionary(uniqueKeysWithValues: log.enumerated().map { ($1.event.id, $0) })
            epoch = newEpoch
            controls.removeAll()
            acknowledged = 0
        }
    }

    func handle(_ request: TransportRequest) -> TransportResponse {
        locked {
            if request.target == "/v1/sync/push" { return push(request) }
            if request.target.hasPrefix("/v1/sync/pull") { return pull(request) }
            return Self.error(404, "not_found", "Inconnu.")
        }
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> TransportResponse {
        TransportResponse(status: status, body: JSONValue.object(["error": ["code": .string(code), "message": .string(message)]]).canonicalBytes())
    }

    /// The answer a push of `request` gets (also used to answer a USB export file).
    func answer(_ request: PushRequest) -> PushResponse {
        var accepted: [PushAck] = [], duplicates: [PushAck] = [], rejected: [PushRejection] = []
        let now = clock.nowMilliseconds()
        for item in request.items {
            guard case .event(let event) = item else { continue }
            if let existing = index[event.id].map({ log[$0] }) {
                if existing.event.canonicalBytes == event.canonicalBytes {
                    duplicates.append(PushAck(id: event.id, seq: existing.seq, receipt: existing.receipt))
                } else {
                    rejected.append(PushRejection(id: event.id, code: "id_conflict", message: "Identifiant déjà utilisé par une autre saisie."))
                }
                continue
            }
            if let receipt = request.receipts[event.id] {
                receiptChecks[event.id] = Receipt.isValid(receipt, for: event, key: key)
            }
            if event.hlc.wall - now > maxSkew {
                rejected.append(PushRejection(id: event.id, code: "clock_skew", message: "Horloge en avance.",
                                              offsetMilliseconds: event.hlc.wall - now))
                continue
            }
            if let refusal = reject(event) {
                rejected.append(refusal)
                continue
            }
            let stored = append(event)
            accepted.append(PushAck(id: event.id, seq: stored.seq, receipt: stored.receipt))
        }
        return PushResponse(accepted: accepted, duplicates: duplicates, rejected: rejected, epoch: epoch, serverTime: now)
    }

    private func push(_ request: TransportRequest) -> TransportResponse {
        guard let body = try? JSONValue.parse(request.body), let push = try? PushRequest(json: body) else {
            return Self.error(400, "bad_request", "Corps invalide.")
        }
        return TransportResponse(status: 200, body: answer(push).json.canonicalBytes())
    }

    private func pull(_ request: TransportRequest) -> TransportResponse {
        var query: [String: Int64] = [:]
        for pair in request.target.split(separator: "?").last?.split(separator: "&") ?? [] {
            let parts = pair.split(separator: "=")
            if parts.count == 2 { query[String(parts[0])] = Int64(parts[1]) }
        }
        let after = query["after"] ?? 0
        let limit = Int(query["limit"] ?? 1000)
        if let ack = query["ack"], ack > acknowledged {
            acknowledged = ack
            controls.removeAll { $0.id <= ack }
        }
        let scanned = log.filter { $0.seq > after }.prefix(limit)
        var events = scanned.filter { visible($0.event) }
        let granted = Set(controls.filter { $0.type == "grant" }.map(\.scope))
        for stored in log where granted.contains(Partition.scope(of: stored.event.entity) ?? "") {
            if !events.contains(where: { $0.seq == stored.seq }) { events.append(stored) }
        }
        let cursor = scanned.last?.seq ?? max(after, 0)
        let head = log.last?.seq ?? 0
        let response = PullResponse(events: events.map { PulledEvent(seq: $0.seq, event: $0.event, receipt: $0.receipt) },
                                    controls: controls, cursor: min(cursor, max(head, after)), head: head, more: cursor < head,
                                    epoch: epoch, serverTime: clock.nowMilliseconds(),
                                    scopes: request.target.contains("scopes=1") ? allowedScopes : nil)
        return TransportResponse(status: 200, body: response.json.canonicalBytes())
    }
}

/// Captures what an in-process CLI run prints.
final class CapturedOutput: @unchecked Sendable {
    // @unchecked: the buffers are only touched under `lock`.
    private let lock = NSLock()
    private var outLines: [String] = []
    private var errLines: [String] = []

    var sink: AgentCLI.OutputSink {
        AgentCLI.OutputSink(out: { [self] text in lock.lock(); outLines.append(text); lock.unlock() },
                            err: { [self] text in lock.lock(); errLines.append(text); lock.unlock() })
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return outLines.joined(separator: "\n") }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return errLines.joined(separator: "\n") }
}

/// A data directory driven in process: the store, the CLI with a fake transport, helpers to build state.
struct SyncBench {
    let data: String
    let clock: ManualClock
    let transport: any Transport

    init(_ directory: TemporaryDirectory, name: String = "agent", clock: ManualClock = ManualClock(), transport: any Transport) {
        data = directory.sub(name)
        self.clock = clock
        self.transport = transport
    }

    var services: AgentCLI.Services {
        let transport = self.transport
        return AgentCLI.Services(transport: { _ in transport }, retry: .immediate, stderrIsTerminal: { false })
    }

    func store() throws -> LocalStore { try LocalStore(directory: data, clock: clock) }

    /// Runs the CLI in process.
    func cli(_ arguments: String...) -> (status: Int32, stdout: String, stderr: String) {
        let output = CapturedOutput()
        let status = AgentCLI.run(["--data", data] + arguments, clock: clock, environment: [:], sink: output.sink, services: services)
        return (status, output.stdout, output.stderr)
    }

    /// Makes the directory look enrolled (token, server, epoch, evaluator) without a server.
    func enrollDirectly(evaluator: String = "ev-0101", epoch: String? = "epoch-1", server: String = "https://grille.test") throws {
        let store = try self.store()
        try store.setSetting(LocalStore.SyncKey.serverURL, server)
        try store.setSetting(LocalStore.SyncKey.evaluator, evaluator)
        try store.setSetting(LocalStore.SyncKey.enrolledEvaluator, evaluator)
        if let epoch { try store.setSetting(LocalStore.SyncKey.epoch, epoch) }
        try LocalStore.writeToken(String(repeating: "ab", count: 32), directory: data)
    }

    func engine(_ store: LocalStore, configure: (inout SyncEngine.Configuration) -> Void = { _ in }) -> SyncEngine {
        var configuration = SyncEngine.Configuration()
        configuration.retry = .immediate
        configure(&configuration)
        return SyncEngine(store: store, transport: transport, token: String(repeating: "ab", count: 32), clock: clock, configuration: configuration)
    }
}

/// Events and writes used across the sync tests.
enum SyncFixtures {
    static let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
    static let otherGrid = "grid/ndrc-e4-ccf/2026/02614002/final"

    static func writes(_ count: Int, entity: String = grid) -> [LocalStore.Write] {
        (0..<count).map { LocalStore.Write(entity: entity, field: "comment/critere.\($0)", value: .string("commentaire \($0)")) }
    }

    /// An event of another device, stamped at `wall`.
    static func remote(_ id: String, entity: String = otherGrid, field: String = "note", value: JSONValue = .int(28),
                       wall: Int64, author: String = "ev-0102", device: String = "dev-other") -> Event {
        Event(id: id, entity: entity, field: field, value: value, hlc: HybridLogicalClock(wall: wall, counter: 0, device: device),
              author: author, prev: [])
    }
}

import Foundation
import TestSupport
@testable import Agent
@testable import Server
@testable import Shared

/// What one simulated run does; everything else comes from the seed.
struct SimulationConfig: Sendable {
    var steps = 500
    var agents: ClosedRange<Int> = 3...5
    var rates = FaultRates()
    /// A restore replays the server's journal (enrollments, used codes, revocations and purges decided
    /// after the backup was taken), as `grille-server restore` does. Off, the journal is lost before the
    /// restore, which brings back purged data and revoked laptops (which the checks then report).
    var replayDecisionsAfterRestore = true
    /// Keep one line per step (printed when the run fails, or always for a single replayed seed).
    var trace = false
    /// Small pushes and pull pages, so that faults fall between them.
    var pushBatchEvents = 16
    var pullLimit = 32
}

/// What one run found.
struct SimulationResult: Sendable, Codable {
    let seed: UInt64
    let steps: Int
    let stats: SimStats
    let violations: [String]
    let trace: [String]
    var timings: [String: Double] = [:]
    var passed: Bool { violations.isEmpty }
}

/// One deterministic simulated academy: N laptops and the server, a faulty network, crashes, clock
/// trouble, roster changes, revocations, deliberation, purge, backups and restores, driven by a seed.
/// After the last step every replica is brought to quiescence and the invariants of issue 7 are checked
/// (`Simulation+Checks.swift`).
///
/// Not Sendable: a run lives on the thread that calls `run()`.
final class Simulation {
    /// 2 March 2026, 08:00 UTC: the simulated world's clock starts here.
    static let start: Int64 = 1_772_438_400_000
    static let marker = "MARQUE"

    let seed: UInt64
    let config: SimulationConfig
    let rng: SimRandom
    let root: String
    var time = Simulation.start
    let serverClock: ManualClock
    let server: SimServer
    let network: SimNetwork
    var agents: [SimAgent] = []
    var roster: SimRoster
    var stats = SimStats()
    var step = -1
    var traceLines: [String] = []
    var violations: [String] = []

    // The ledger: every event the server ever acknowledged, by id, with the step it was first seen.
    struct LedgerEntry {
        var event: Event
        let firstSeen: Int
    }
    var ledger: [String: LedgerEntry] = [:]
    var ledgerOrder: [String] = []
    var scannedSeq: Int64 = 0

    struct Backup {
        let file: String
        let step: Int
        let ids: Set<String>
    }
    var backups: [Backup] = []
    /// Events a restore took away from the server, with the slots of the agents holding them then.
    var restoreLosses: [String: (step: Int, holders: Set<Int>)] = [:]
    var purged: Set<String> = []
    var deliberated: Set<String> = []
    var revocations = 0
    var restores = 0
    var markers = 0
    /// Seconds spent per kind of step (`GRILLE_SIM_TIMING=1` prints them): to keep the CI run cheap.
    var timings: [String: Double] = [:]

    init(seed: UInt64, config: SimulationConfig) throws {
        self.seed = seed
        self.config = config
        rng = SimRandom(seed: seed)
        let base = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        root = base + "/grille-sim-\(seed)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root + "/backups", withIntermediateDirectories: true)
        serverClock = ManualClock(Simulation.start)
        server = try SimServer(directory: root + "/server", clock: serverClock)
        network = SimNetwork(rng: rng, server: server, rates: config.rates)
        roster = try SimRoster()
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    func note(_ line: @autoclosure () -> String) {
        if config.trace { traceLines.append("pas \(step) : " + line()) }
    }

    func violation(_ text: String) {
        violations.append(text)
        note("VIOLATION " + text)
    }

    // MARK: - Run

    func run() -> SimulationResult {
        if config.trace { network.trace = { [unowned self] in self.note($0) } }
        do {
            var started = Simulation.cpuNanoseconds()
            try setUp()
            timings["setUp", default: 0] += Double(Simulation.cpuNanoseconds() - started) / 1e9
            for index in 0..<config.steps {
                step = index
                stats.add("steps")
                try perform()
                try scanLedger()
            }
            step = config.steps
            started = Simulation.cpuNanoseconds()
            try settle()
            timings["settle", default: 0] += Double(Simulation.cpuNanoseconds() - started) / 1e9
            started = Simulation.cpuNanoseconds()
            try check()
            timings["check", default: 0] += Double(Simulation.cpuNanoseconds() - started) / 1e9
        } catch {
            violation("erreur inattendue au pas \(step) : \(error)")
        }
        for agent in agents { agent.close() }
        server.stop()
        var total = stats
        total += network.stats
        total["violations"] = violations.count
        return SimulationResult(seed: seed, steps: config.steps, stats: total, violations: violations, trace: traceLines, timings: timings)
    }

    func setUp() throws {
        try server.admin { _ = try $0.importRoster(roster.roster, by: SimRoster.coordinator) }
        stats.add("roster imports")
        let count = rng.int(config.agents)
        let optional = rng.shuffled(Array(SimRoster.enrollable.dropFirst(2)))
        for evaluator in Array(SimRoster.enrollable.prefix(2)) + optional.prefix(max(0, count - 2)) {
            let agent = try addAgent(evaluator)
            try enroll(agent)
        }
        try scanLedger()
    }

    @discardableResult
    func addAgent(_ evaluator: String) throws -> SimAgent {
        let slot = agents.count
        let agent = try SimAgent(slot: slot, evaluator: evaluator, directory: root + "/agent-\(slot)",
                                 deviceID: "dev-" + rng.hex(16), time: time, network: network)
        agents.append(agent)
        return agent
    }

    // MARK: - Steps

    enum Action: CaseIterable {
        case write, sync, agentCrash, serverCrash, serverRestart, clock, offline, roster, revoke, deliberate,
             harmonise, purge, backup, restore, network
    }

    func weight(_ action: Action) -> Double {
        let up = server.isUp
        let third = config.steps / 3
        switch action {
        case .write: return 40
        case .sync: return 28
        case .agentCrash: return 2.5
        case .serverCrash: return up ? 1.2 : 0
        case .serverRestart: return up ? 0 : 30
        case .clock: return 3
        case .offline: return 2
        case .roster: return up ? 3 : 0
        case .revoke: return up && revocations < 2 && step > 20 ? 0.5 : 0
        case .deliberate: return up && deliberated.isEmpty && step > config.steps / 5 ? 0.5 : 0
        case .harmonise: return up ? 1 : 0
        case .purge: return up && purged.isEmpty && step > third ? 0.5 : 0
        case .backup: return up ? 1.5 : 0
        case .restore: return !backups.isEmpty && restores < 3 ? 0.5 : 0
        case .network: return network.heldCount > 0 ? 2 : 0
        }
    }

    func perform() throws {
        advanceTime()
        let actions = Action.allCases
        let action = actions[rng.weighted(actions.map(weight))]
        let started = Simulation.cpuNanoseconds()
        defer { timings["\(action)", default: 0] += Double(Simulation.cpuNanoseconds() - started) / 1e9 }
        switch action {
        case .write: try write()
        case .sync: try syncStep()
        case .agentCrash:
            guard let agent = pickAgent({ $0.isLive }) else { return }
            note("\(agent.name) : arrêt brutal puis redémarrage")
            agent.crash()
            stats.add("agent crashes")
        case .serverCrash:
            note("serveur : arrêt brutal")
            server.crash()
            stats.add("server crashes")
        case .serverRestart:
            note("serveur : redémarrage")
            try server.start()
        case .clock: clockStep()
        case .offline:
            guard let agent = pickAgent({ $0.isLive && !$0.link.offline }) else { return }
            agent.link.offline = true
            agent.offlineUntil = step + rng.int(2...30)
            stats.add("agents offline")
            note("\(agent.name) : réseau coupé jusqu'au pas \(agent.offlineUntil)")
        case .roster: try rosterStep()
        case .revoke: try revokeStep()
        case .deliberate: try deliberateStep()
        case .harmonise: try harmoniseStep()
        case .purge: try purgeStep()
        case .backup: try backupStep()
        case .restore: try restoreStep()
        case .network:
            let count = rng.int(1...network.heldCount)
            note("réseau : \(count) requête(s) retenue(s) livrée(s)")
            network.deliverHeld(count: count)
        }
    }

    /// World time moves on: seconds to minutes, sometimes a night.
    func advanceTime() {
        time += rng.chance(0.02) ? rng.int64(3_600_000...43_200_000) : rng.int64(1_000...300_000)
        serverClock.set(time)
        for agent in agents {
            agent.clock.set(time + agent.skew)
            if agent.link.offline && step >= agent.offlineUntil { agent.link.offline = false }
        }
    }

    func pickAgent(_ filter: (SimAgent) -> Bool) -> SimAgent? {
        let candidates = agents.filter(filter)
        return candidates.isEmpty ? nil : rng.pick(candidates)
    }

    // MARK: - Writes, through the command line

    func write() throws {
        guard let agent = pickAgent({ $0.phase == .enrolled }) else { return }
        let session = purged.contains("2026") && rng.chance(0.9) ? "2027" : rng.pick(SimRoster.sessions)
        let local = try agent.openStore().roster()
        let me = local.evaluator(agent.evaluator)
        var commissions = local.commissions.filter { $0.session == session && $0.template == SimRoster.template }
        if me?.role == .coordinator {
            commissions = commissions.filter { $0.establishment == me?.establishment }
        } else {
            commissions = commissions.filter { $0.members.contains(agent.evaluator) }
        }
        var numbers = Array(Set(commissions.flatMap { local.candidates(in: $0.id).map(\.number) })).sorted()
        if numbers.isEmpty || rng.chance(0.08) {
            numbers = roster.candidates.map(\.number)   // a candidate this laptop may not write for
        }
        var candidate = rng.pick(numbers)
        var grid = "grid/\(SimRoster.template)/\(session)/\(candidate)/final"
        var operation = rng.weighted([15, 35, 5, 14, 7, 6, 5, 7, 6])
        if operation != 0 && operation != 8 && rng.chance(0.85) {
            // Most edits go to a grid the laptop holds (the others are refused: « Grille inconnue »); with
            // none, the evaluator starts one.
            let known = try agent.openStore().gridIDs().filter { $0.session == session && $0.situation == "final" }
            if known.isEmpty {
                operation = 0
            } else {
                let chosen = rng.pick(known)
                grid = chosen.entity
                candidate = chosen.candidate
            }
        }
        let fixed = ["prospection.1", "prospection.2", "prospection.3", "prospection.4", "information.1", "information.2"]
        let optional = ["negociation.1", "negociation.2", "evenement.1", "evenement.2", "evenement.3"]
        let criterion = rng.chance(0.8) ? rng.pick(fixed) : rng.pick(optional)
        func text(_ kind: String) -> String {
            markers += 1
            return "\(Simulation.marker)-\(session)-\(seed)-\(markers) \(kind) « \(agent.evaluator) »"
        }
        let arguments: [String]
        switch operation {
        case 0:
            var words = ["grid", "new", "--candidate", candidate, "--template", SimRoster.template, "--session", session,
                         "--situation", "final"]
            if rng.chance(0.5) { words += ["--option", rng.pick(["negociation", "evenement"])] }
            arguments = words
        case 1: arguments = ["grid", "set", grid, criterion, rng.pick(["TI", "I", "S", "TS", "s"])]
        case 2: arguments = ["grid", "clear", grid, criterion]
        case 3: arguments = ["grid", "comment", grid, criterion, text("commentaire")]
        case 4: arguments = ["grid", "field", grid, "note", rng.pick(["12", "14,5", "9.5", "17", "20"])]
        case 5: arguments = ["grid", "field", grid, rng.pick(["appreciation-A", "appreciation-B"]), text("appréciation")]
        case 6: arguments = ["grid", "field", grid, "option", rng.pick(["negociation", "evenement"])]
        case 7: arguments = ["grid", "sign", grid]
        default:
            arguments = ["conformity", "set", candidate, rng.pick(["ok", "ok", "ok", "absent", "late_dossier"]),
                         "--template", SimRoster.template, "--session", session]
        }
        let result = agent.cli(arguments)
        if result.status == 0 {
            stats.add("writes")
        } else {
            stats.add("writes refused")
        }
        note("\(agent.name) : grille-agent \(arguments.joined(separator: " ")) → \(result.status)\(result.status == 0 ? "" : " (\(result.stderr.prefix(120)))")")
    }

    // MARK: - Sync and enrollment

    var syncConfiguration: SyncEngine.Configuration {
        var configuration = SyncEngine.Configuration()
        configuration.retry = .immediate
        configuration.pushBatchEvents = config.pushBatchEvents
        configuration.pullLimit = config.pullLimit
        return configuration
    }

    func syncStep() throws {
        guard let agent = pickAgent({ $0.isLive }) else { return }
        if agent.phase == .fresh || agent.needsEnrollment {
            try enroll(agent)
            return
        }
        if rng.chance(0.05) { agent.link.crashCountdown = rng.int(1...6) }
        if rng.chance(0.1) {
            // The `sync` command, in its own "process": the simulation's connection is closed first.
            agent.close()
            let result = agent.cli(["sync", "--json"])
            stats.add("syncs")
            if result.status == 0 {
                stats.add("syncs completed")
            } else {
                stats.add("syncs failed")
                noteSyncFailure(agent, message: result.stderr)
            }
            note("\(agent.name) : grille-agent sync → \(result.status)")
        } else {
            _ = try sync(agent)
        }
        if agent.link.dead {
            note("\(agent.name) : arrêt brutal pendant la synchronisation, redémarrage")
            agent.crash()
            stats.add("agent crashes")
            stats.add("agent crashes mid-sync")
        }
    }

    /// The CLI reports a failed sync only as text: recognise the two answers that change the agent's phase.
    func noteSyncFailure(_ agent: SimAgent, message: String) {
        if !FileManager.default.fileExists(atPath: agent.databasePath) {
            agent.phase = .wiped
            stats.add("wipes")
        } else if message.contains("refuse le jeton") {
            agent.needsEnrollment = true
        }
    }

    /// One engine sync; returns whether anything moved. Errors the network or the server cause are
    /// outcomes, not failures of the simulation.
    func sync(_ agent: SimAgent) throws -> Bool {
        stats.add("syncs")
        do {
            let summary = try agent.sync(configuration: syncConfiguration)
            stats.add("syncs completed")
            if summary.restamped > 0 {
                stats.add("clock corrections")
                stats.add("events re-stamped", summary.restamped)
            }
            stats.add("events re-pushed", summary.repushed)
            stats.add("events pulled", summary.pulled)
            stats.add("events rejected or quarantined", summary.rejected)
            note("\(agent.name) : sync → \(summary.line) re-daté \(summary.restamped), renvoyé \(summary.repushed)")
            return summary.pushed + summary.pulled + summary.confirmed + summary.controls + summary.repushed + summary.restamped > 0
                || summary.epochChanged
        } catch let error as SyncError {
            stats.add("syncs failed")
            switch error {
            case .wiped:
                agent.phase = .wiped
                stats.add("wipes")
                note("\(agent.name) : révoqué, données effacées")
            case .unauthorized:
                agent.needsEnrollment = true
                note("\(agent.name) : jeton inconnu du serveur")
            default:
                note("\(agent.name) : sync échoue : \(error.message.prefix(100))")
            }
            return true
        }
    }

    /// A coordinator makes a code (`grille-server enroll`), the laptop runs `grille-agent enroll`.
    func enroll(_ agent: SimAgent) throws {
        guard server.isUp else { return }
        let code: String
        do {
            code = try server.admin { try $0.createEnrollmentCode(for: agent.evaluator, ttlMilliseconds: 7 * 86_400_000, by: SimRoster.coordinator).code }
        } catch let error as ServerError {
            note("\(agent.name) : pas de code (\(error.message))")
            return
        }
        let result = agent.enroll(code: code)
        if result.status == 0 {
            stats.add(agent.phase == .fresh ? "enrollments" : "re-enrollments after restore")
            agent.phase = .enrolled
            agent.needsEnrollment = false
        } else {
            stats.add("enrollments failed")
            // A refused re-enrollment (this device was revoked, or a lost answer made a plain 401 out of
            // `device_revoked`): the person tries `sync` again, which then gets the real answer.
            if agent.phase == .enrolled { agent.needsEnrollment = false }
        }
        note("\(agent.name) : grille-agent enroll → \(result.status)\(result.status == 0 ? "" : " (\(result.stderr.prefix(100)))")")
    }

    // MARK: - Clocks

    func clockStep() {
        guard let agent = pickAgent({ $0.isLive }) else { return }
        let before = agent.skew
        switch rng.weighted([3, 3, 2, 2]) {
        case 0: agent.skew = rng.int64(-240_000...240_000)               // drift within the allowed skew
        case 1: agent.skew = rng.int64(600_000...10_800_000)             // ahead: the server refuses
        case 2: agent.skew = -rng.int64(600_000...10_800_000)            // behind
        default: agent.skew = 0                                          // set right again
        }
        agent.clock.set(time + agent.skew)
        stats.add("clock skews")
        if agent.skew < before { stats.add("clock jumps back") }
        note("\(agent.name) : horloge décalée de \(agent.skew / 1000) s (avant \(before / 1000) s)")
    }

    // MARK: - Coordinators

    func rosterStep() throws {
        var changed = roster
        let description: String?
        let kind = rng.int(0...2)
        switch kind {
        case 0: description = changed.moveCandidate(rng: rng)
        case 1: description = changed.addMember(rng: rng)
        default: description = changed.removeMember(rng: rng)
        }
        guard let description else { return }
        let by = rng.pick([SimRoster.coordinator, SimRoster.academyCoordinator])
        let fields = try server.admin { try $0.importRoster(changed.roster, by: by) }
        roster = changed
        stats.add("roster imports")
        stats.add(["roster moves", "member adds", "member removes"][kind])
        note("liste : \(description) (\(fields) champ(s))")
    }

    func revokeStep() throws {
        guard let agent = pickAgent({ $0.phase == .enrolled && !$0.revoked }) else { return }
        do {
            try server.admin { try $0.revoke(device: agent.deviceID, by: SimRoster.coordinator) }
        } catch let error as ServerError {
            note("révocation de \(agent.name) impossible : \(error.message)")
            return
        }
        agent.revoked = true
        revocations += 1
        stats.add("revocations")
        let replacement = try addAgent(agent.evaluator)
        stats.add("replacement devices")
        note("\(agent.name) révoqué ; nouvel ordinateur \(replacement.name)")
        try enroll(replacement)
    }

    func deliberateStep() throws {
        let session = "2026"
        do {
            try server.admin { try $0.setSessionState(session, to: .deliberated, by: SimRoster.academyCoordinator) }
        } catch let error as ServerError {
            note("délibération refusée : \(error.message)")
            return
        }
        deliberated.insert(session)
        stats.add("deliberations")
        note("session \(session) délibérée")
    }

    func harmoniseStep() throws {
        let session = rng.pick(SimRoster.sessions)
        let candidate = rng.pick(roster.candidates.map(\.number))
        let grid = "grid/\(SimRoster.template)/\(session)/\(candidate)/final"
        markers += 1
        let reason = "\(Simulation.marker)-\(session)-\(seed)-\(markers) harmonisation"
        do {
            _ = try server.admin { try $0.harmonise(grid, halfPoints: rng.int(16...36), reason: reason, by: SimRoster.academyCoordinator) }
        } catch let error as ServerError {
            note("harmonisation refusée : \(error.message.prefix(80))")
            return
        }
        stats.add("harmonisations")
        note("harmonisation de \(grid)")
    }

    func purgeStep() throws {
        let session = "2026"
        do {
            let report = try server.admin { try $0.purge(session: session, by: SimRoster.academyCoordinator, force: true) }
            note("session \(session) purgée : \(report.events) saisies")
        } catch let error as ServerError {
            note("purge refusée : \(error.message)")
            return
        }
        purged.insert(session)
        stats.add("purges")
    }

    // MARK: - Backup and restore

    func serverIDs() throws -> Set<String> {
        Set(try server.admin { try $0.db.query("SELECT id FROM events").map { $0.string(0) } })
    }

    func backupStep() throws {
        let file = root + "/backups/backup-\(backups.count).sqlite"
        let ids = try serverIDs()
        try server.backup(to: file)
        backups.append(Backup(file: file, step: step, ids: ids))
        stats.add("backups")
        note("sauvegarde \(file) (\(ids.count) saisies)")
    }

    /// `grille-server restore` from one of the backups: the server's files are replaced, the epoch
    /// changes and the journal replays what was decided since the backup.
    func restoreStep() throws {
        try server.start()
        try scanLedger()
        let backup = rng.chance(0.6) ? backups[backups.count - 1] : rng.pick(backups)
        let lost = try serverIDs().subtracting(backup.ids)
        var holders: [String: Set<Int>] = [:]
        for agent in agents where agent.phase == .enrolled {
            for id in try agent.heldForRepush().intersection(lost) { holders[id, default: []].insert(agent.slot) }
        }
        let replayed = try server.restore(from: backup.file, replayJournal: config.replayDecisionsAfterRestore)
        restores += 1
        stats.add("restores")
        stats.add("events lost by restores", lost.count)
        scannedSeq = try server.admin { try $0.head() }
        for id in lost.sorted() { restoreLosses[id] = (step, holders[id] ?? []) }
        note("restauration de \(backup.file) (pas \(backup.step)) : \(lost.count) saisie(s) perdue(s) par le serveur, \(replayed) entrée(s) du journal rejouée(s)")
    }

    // MARK: - Ledger

    /// Reads what the server committed since the last scan into the ledger. An id the ledger knows must
    /// come back with the same content: only its stamp may differ (a re-stamped copy accepted after a
    /// restore lost the first one).
    func scanLedger() throws {
        guard server.isUp else { return }
        let rows = try server.admin { try $0.db.query("SELECT seq, id, body FROM events WHERE seq > ? ORDER BY seq", scannedSeq) }
        for row in rows {
            scannedSeq = max(scannedSeq, row.int64(0))
            let id = row.string(1)
            let event = try Event(bytes: Array(row.string(2).utf8))
            if let known = ledger[id] {
                guard known.event != event else { continue }
                if Simulation.sameContent(known.event, event) {
                    stats.add("events re-stamped after restore")
                    ledger[id]?.event = event
                } else {
                    violation("saisie \(id) modifiée sur le serveur : \(known.event.json.canonicalString) devient \(event.json.canonicalString)")
                }
            } else {
                ledger[id] = LedgerEntry(event: event, firstSeen: step)
                ledgerOrder.append(id)
            }
        }
    }

    /// CPU time of the calling thread: what a step costs, whatever else the machine is doing.
    static func cpuNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Same event but for its clock stamp.
    static func sameContent(_ a: Event, _ b: Event) -> Bool {
        a.id == b.id && a.entity == b.entity && a.field == b.field && a.value == b.value && a.author == b.author
            && a.prev == b.prev && a.device == b.device
    }
}

import Foundation
import TestSupport
@testable import Agent
@testable import Shared

/// One laptop of a simulated run: a data folder with its `LocalStore`, its own clock and its own link to
/// the network. Writes go through `AgentCLI.run` exactly as the command line does; syncs go through the
/// `SyncEngine` (or, sometimes, the `sync` command). It can crash (files left as a `kill -9` leaves them)
/// and restart; a revoked laptop wipes itself at its next sync, and a replacement is a new `SimAgent`.
final class SimAgent {
    enum Phase: Equatable {
        /// Has a data folder and a device id, not (yet) enrolled.
        case fresh
        case enrolled
        /// Revoked and wiped by its own sync (`device_revoked`): gone for good.
        case wiped
    }

    static let serverURL = "http://127.0.0.1:8080"

    let slot: Int
    let evaluator: String
    let directory: String
    let deviceID: String
    let clock: ManualClock
    let link: SimLink
    var skew: Int64 = 0
    /// The step at which an offline laptop gets its network back.
    var offlineUntil = 0
    var phase = Phase.fresh
    /// The server revoked this device (the laptop learns it at its next sync).
    var revoked = false
    /// The server no longer knows this device (a restore lost its enrollment): it answered `unauthorized`.
    var needsEnrollment = false
    private var store: LocalStore?

    var name: String { "a\(slot)(\(evaluator))" }
    var databasePath: String { directory + "/" + LocalStore.fileName }
    /// Still a replica: not wiped.
    var isLive: Bool { phase != .wiped }

    init(slot: Int, evaluator: String, directory: String, deviceID: String, time: Int64, network: SimNetwork) throws {
        self.slot = slot
        self.evaluator = evaluator
        self.directory = directory
        self.deviceID = deviceID
        clock = ManualClock(time)
        link = SimLink(name: "a\(slot)", network: network)
        // `grille-agent` creates the device id when it first opens the folder; the simulation chooses it so
        // that runs replay.
        _ = try LocalStore(directory: directory, clock: clock, deviceID: deviceID)
    }

    func openStore() throws -> LocalStore {
        if let store { return store }
        let opened = try LocalStore(directory: directory, clock: clock)
        store = opened
        return opened
    }

    /// Drops the connection (a clean close).
    func close() {
        store = nil
    }

    /// `kill -9` of every agent process on this folder: connections dropped, files as they were on disk.
    func crash() {
        let image = DiskImage.capture(database: databasePath)
        store = nil
        image.putBack()
        link.dead = false
        link.crashCountdown = nil
    }

    var services: AgentCLI.Services {
        let link = self.link
        var retry = SyncEngine.RetryPolicy.immediate
        retry.attempts = 4
        return AgentCLI.Services(transport: { _ in link }, retry: retry, stderrIsTerminal: { false })
    }

    /// Runs one `grille-agent` command in process on this folder.
    func cli(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
        let lines = CapturedLines()
        let status = AgentCLI.run(["--data", directory] + arguments, clock: clock, environment: [:], sink: lines.sink,
                                  services: services)
        let output = lines.output
        return (status, output.out.joined(separator: "\n"), output.err.joined(separator: "\n"))
    }

    /// `grille-agent enroll --server URL --code CODE`.
    func enroll(code: String) -> (status: Int32, stdout: String, stderr: String) {
        cli(["enroll", "--server", SimAgent.serverURL, "--code", code])
    }

    /// One sync through the engine, with small batches and pages so that faults land between them.
    func sync(configuration: SyncEngine.Configuration) throws -> SyncSummary {
        let store = try openStore()
        guard let token = try LocalStore.readToken(directory: directory) else {
            throw SyncError.unauthorized(code: "no_token", message: nil)
        }
        let engine = SyncEngine(store: store, transport: link, token: token, clock: clock, configuration: configuration)
        do {
            return try engine.sync()
        } catch let error as SyncError {
            if case .wiped = error { self.store = nil }
            throw error
        }
    }

    /// Ids of the events this replica would push back to a restored server (own accepted, pulled).
    func heldForRepush() throws -> Set<String> {
        Set(try openStore().db.query("SELECT id FROM events WHERE sync_state IN ('accepted', 'remote')").map { $0.string(0) })
    }
}

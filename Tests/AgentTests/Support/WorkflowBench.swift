import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import Shared

/// A data directory with the demo roster and an identity, driven in process: the CLI, and events of
/// other replicas (the other jury member, the coordinator, the server) applied as if pulled.
struct WorkflowBench {
    let bench: SyncBench
    private let counter = Counter()

    init(_ directory: TemporaryDirectory, name: String = "agent", as evaluator: String) throws {
        bench = SyncBench(directory, name: name, transport: ScriptedTransport())
        try #require(bench.cli("roster", "import", Repository.demoRoster).status == 0)
        try #require(bench.cli("whoami", "--as", evaluator).status == 0)
    }

    var data: String { bench.data }

    func cli(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
        let output = CapturedOutput()
        let status = AgentCLI.run(["--data", bench.data] + arguments, clock: bench.clock, environment: [:], sink: output.sink,
                                  services: bench.services)
        return (status, output.stdout, output.stderr)
    }

    /// Runs and requires success; returns stdout.
    @discardableResult
    func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let result = cli(arguments)
        #expect(result.status == 0, "\(arguments.joined(separator: " ")) → \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    func json(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let result = cli(arguments + ["--json"])
        #expect(result.status == 0, "\(arguments) → \(result.stderr)", sourceLocation: sourceLocation)
        return try JSONValue.parse(result.stdout)
    }

    /// Applies one event written elsewhere by `author`, having seen the field's current heads.
    @discardableResult
    func remote(_ entity: String, _ field: String, _ value: JSONValue, author: String = "ev-0102") throws -> Event {
        let store = try bench.store()
        let event = Event(id: "remote-\(UUID().uuidString)", entity: entity, field: field, value: value,
                          hlc: HybridLogicalClock(wall: bench.clock.nowMilliseconds() + 1, counter: counter.next(), device: "dev-other"),
                          author: author, prev: try store.heads(of: FieldKey(entity: entity, field: field)))
        try store.applyRemote([event])
        return event
    }

    func eventCount() throws -> Int {
        Int(try bench.store().db.scalarInt("SELECT count(*) FROM events") ?? -1)
    }

    /// A final grid of `candidate` with every criterion of the `evenement` option, both appreciations and a
    /// note: ready to sign. Returns its id.
    func readyFinalGrid(_ candidate: String) -> String {
        let id = ok("grid", "new", "--candidate", candidate, "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
            .trimmingWhitespace()
        for criterion in ["prospection.1", "prospection.2", "prospection.3", "prospection.4", "evenement.1", "evenement.2",
                          "evenement.3", "information.1", "information.2"] {
            ok("grid", "set", id, criterion, "S")
        }
        ok("grid", "field", id, "appreciation-A", "Démarche de prospection structurée.")
        ok("grid", "field", id, "appreciation-B", "Évènement bien mené.")
        ok("grid", "field", id, "note", "14,5")
        return id
    }

    /// Distinct clock counters for remote events.
    final class Counter: @unchecked Sendable {
        // @unchecked: `value` is only touched under `lock`.
        private let lock = NSLock()
        private var value: Int64 = 0
        func next() -> Int64 { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
}

import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import Server
@testable import Shared

/// Issue 7, point 1: the deterministic simulation (docs/RELIABILITY.md, « Deterministic simulation »).
@Suite struct SimulationTests {
    /// Runs only when `GRILLE_SIM_SEEDS` (or `GRILLE_SIM_SEED`) says how many: `scripts/test.sh` runs
    /// 1,000 seeds in its own timed step, `scripts/simulate.sh` any number (docs/RELIABILITY.md).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["GRILLE_SIM_SEEDS"] != nil || ProcessInfo.processInfo.environment["GRILLE_SIM_SEED"] != nil))
    func seededRunsLoseAndChangeNoAcknowledgedEvent() {
        let plan = SimulationPlan.fromEnvironment(seeds: 1_000, steps: 500)
        let report = SimulationRunner.run(plan)
        print(report.summary)
        #expect(report.failures.isEmpty, "\(report.failures.count) graine(s) en échec : \(report.failures.map(\.seed).sorted().prefix(20)) — rejouer avec scripts/simulate.sh --seed N")
        // Every kind of fault and roster change was exercised.
        if plan.seeds >= 200 && plan.config.steps >= 300 {
            for name in ["requests dropped", "answers dropped", "requests duplicated", "deliveries reordered", "answers truncated",
                         "agent crashes", "agent crashes mid-sync", "server crashes", "clock skews", "clock jumps back", "clock corrections",
                         "roster moves", "member adds", "member removes", "revocations", "wipes", "deliberations", "purges", "restores",
                         "events re-pushed", "harmonisations"] {
                #expect(report.stats[name] > 0, "jamais exercé : \(name)")
            }
        }
    }

    /// The network's faults are those of a real network: a lost answer means the server applied the push;
    /// a held request arrives later; a duplicate is applied twice (and answered as a duplicate).
    @Test func aLostAnswerMeansTheServerAppliedThePush() throws {
        let simulation = try Simulation(seed: 42, config: SimulationConfig(steps: 0, agents: 2...2))
        simulation.network.rates = FaultRates.none
        try simulation.setUp()
        let agent = simulation.agents[0]
        #expect(agent.phase == .enrolled)
        _ = try agent.sync(configuration: simulation.syncConfiguration)
        let result = agent.cli(["grid", "new", "--candidate", "02614001", "--template", SimRoster.template, "--session", "2026", "--situation", "final"])
        #expect(result.status == 0, "\(result.stderr)")
        let head = try simulation.server.admin { try $0.head() }
        simulation.network.rates.dropAnswer = 1
        #expect(throws: SyncError.self) { _ = try agent.sync(configuration: simulation.syncConfiguration) }
        #expect(try simulation.server.admin { try $0.head() } > head)   // applied, answer lost
        #expect(try agent.openStore().pendingCount() > 0)               // the laptop does not know yet
        simulation.network.rates = FaultRates.none
        simulation.network.rates.duplicate = 1
        let summary = try agent.sync(configuration: simulation.syncConfiguration)
        #expect(summary.duplicates > 0)
        #expect(try agent.openStore().pendingCount() == 0)
        simulation.network.rates = FaultRates.none
        simulation.network.rates.delay = 1
        _ = agent.cli(["grid", "set", "grid/ndrc-e4-ccf/2026/02614001/final", "prospection.1", "S"])
        let before = try simulation.server.admin { try $0.head() }
        #expect(throws: SyncError.self) { _ = try agent.sync(configuration: simulation.syncConfiguration) }
        #expect(simulation.network.heldCount > 0)
        #expect(try simulation.server.admin { try $0.head() } == before)
        simulation.network.drain()
        #expect(try simulation.server.admin { try $0.head() } > before)
    }

    /// Seeds run in child processes; one that dies inside a seed (a crash) is a failure of the rest of its
    /// slice, reported with its output, and the other child's results still count.
    @Test func aChildProcessThatDiesIsReportedAsAFailureOfItsSlice() {
        var plan = SimulationPlan()
        plan.firstSeed = 5
        plan.seeds = 4
        plan.config.steps = 30
        plan.jobs = 2
        let report = SimulationRunner.run(plan, progress: false, childEnvironment: ["GRILLE_SIM_DIE_AT_SEED": "8"])
        // Seeds 5 and 6 in the first child, 7 and 8 in the second, which dies at 8.
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.seed == 7)
        #expect(report.failures.first?.violations.first?.contains("graines 7…8 s'est terminé sans rapport (statut 70)") == true)
        #expect(report.stats["steps"] == 60)
        // Without the crash, the children's counts add up to those of the same seeds run here.
        let whole = SimulationRunner.run(plan, progress: false)
        var here = plan
        here.jobs = 1
        let inProcess = SimulationRunner.run(here, progress: false)
        #expect(whole.failures.isEmpty && inProcess.failures.isEmpty)
        #expect(whole.stats == inProcess.stats)
        #expect(whole.stats["steps"] == 120)
    }

    /// A run replays from its seed: the same steps, faults and counts.
    @Test func aSeedReplaysTheSameRun() throws {
        var config = SimulationConfig()
        config.steps = 120
        let first = try Simulation(seed: 7, config: config).run()
        let second = try Simulation(seed: 7, config: config).run()
        #expect(first.stats == second.stats)
        #expect(first.passed, "\(first.violations)")
    }
}

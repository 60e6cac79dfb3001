import Foundation

/// Which seeds to run and how. CI runs the defaults; `scripts/simulate.sh` sets the environment
/// variables below, which only this test code reads.
///
/// | variable | meaning |
/// | --- | --- |
/// | `GRILLE_SIM_SEED` | replay this one seed, with its step-by-step trace |
/// | `GRILLE_SIM_SEEDS`, `GRILLE_SIM_FIRST` | run this many seeds, starting at this one (1) |
/// | `GRILLE_SIM_STEPS` | steps per run |
/// | `GRILLE_SIM_JOBS` | seeds run at once (the number of processors) |
/// | `GRILLE_SIM_TRACE` | `1`: keep the trace of every run (printed for failures) |
/// | `GRILLE_SIM_NO_REPLAY` | `1`: the emulated restore does not re-apply revocations and purges |
struct SimulationPlan: Sendable {
    var firstSeed: UInt64 = 1
    var seeds = 1_000
    var config = SimulationConfig()
    var jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)

    static func fromEnvironment(seeds: Int, steps: Int) -> SimulationPlan {
        let environment = ProcessInfo.processInfo.environment
        func number(_ name: String) -> UInt64? { environment[name].flatMap { UInt64($0.trimmingCharacters(in: .whitespaces)) } }
        var plan = SimulationPlan()
        plan.seeds = seeds
        plan.config.steps = steps
        if let first = number("GRILLE_SIM_FIRST") { plan.firstSeed = first }
        if let count = number("GRILLE_SIM_SEEDS") { plan.seeds = Int(count) }
        if let steps = number("GRILLE_SIM_STEPS") { plan.config.steps = Int(steps) }
        if let jobs = number("GRILLE_SIM_JOBS"), jobs > 0 { plan.jobs = Int(jobs) }
        if let seed = number("GRILLE_SIM_SEED") {
            plan.firstSeed = seed
            plan.seeds = 1
            plan.config.trace = true
        }
        if environment["GRILLE_SIM_TRACE"] == "1" { plan.config.trace = true }
        if environment["GRILLE_SIM_NO_REPLAY"] == "1" { plan.config.replayDecisionsAfterRestore = false }
        return plan
    }
}

/// What a batch of seeds found.
struct SimulationReport: Sendable {
    let plan: SimulationPlan
    let stats: SimStats
    let failures: [SimulationResult]
    let replayed: SimulationResult?
    let seconds: Double

    var summary: String {
        let last = plan.firstSeed + UInt64(max(plan.seeds, 1)) - 1
        var lines = ["Simulation déterministe : \(plan.seeds) graine(s) × \(plan.config.steps) pas (graines \(plan.firstSeed)…\(last)), \(plan.jobs) à la fois, \(String(format: "%.1f", seconds)) s",
                     stats.report()]
        if failures.isEmpty {
            lines.append("Aucune graine en échec.")
        } else {
            lines.append("\(failures.count) graine(s) en échec :")
            for failure in failures.sorted(by: { $0.seed < $1.seed }).prefix(20) {
                lines.append("  graine \(failure.seed) : " + failure.violations.prefix(6).joined(separator: "\n    "))
                lines.append("    rejouer : scripts/simulate.sh --seed \(failure.seed) --steps \(failure.steps)")
            }
        }
        if let traced = replayed ?? failures.first(where: { !$0.trace.isEmpty }), !traced.trace.isEmpty {
            lines.append("Déroulé de la graine \(traced.seed) :")
            lines += traced.trace.map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }
}

enum SimulationRunner {
    /// Runs every seed of the plan, `plan.jobs` at a time (each run is independent and single-threaded),
    /// printing progress now and then.
    static func run(_ plan: SimulationPlan, progress: Bool = true) -> SimulationReport {
        let collector = Collector(single: plan.seeds == 1 ? plan.firstSeed : nil)
        let started = Date()
        let jobs = max(1, min(plan.jobs, plan.seeds))
        let every = max(1, plan.seeds / 10)
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            while let index = collector.next(limit: plan.seeds) {
                let seed = plan.firstSeed + UInt64(index)
                let result: SimulationResult
                do {
                    result = try Simulation(seed: seed, config: plan.config).run()
                } catch {
                    result = SimulationResult(seed: seed, steps: plan.config.steps, stats: SimStats(),
                                              violations: ["mise en place impossible : \(error)"], trace: [])
                }
                let (done, failed) = collector.add(result)
                if progress, done % every == 0 || !result.passed {
                    let status = result.passed ? "" : " — graine \(seed) en échec"
                    print("simulation : \(done)/\(plan.seeds) graine(s), \(failed) en échec, \(Int(Date().timeIntervalSince(started))) s\(status)")
                }
            }
        }
        if ProcessInfo.processInfo.environment["GRILLE_SIM_TIMING"] == "1" {
            print("temps par sorte de pas (s) : " + collector.timings.sorted { $0.value > $1.value }.map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", "))
        }
        return SimulationReport(plan: plan, stats: collector.stats, failures: collector.failures, replayed: collector.replayed,
                                seconds: Date().timeIntervalSince(started))
    }

    final class Collector: @unchecked Sendable {
        // @unchecked: every property is read and written under `lock`.
        private let lock = NSLock()
        private var issued = 0
        private var done = 0
        private(set) var stats = SimStats()
        private(set) var timings: [String: Double] = [:]
        private(set) var failures: [SimulationResult] = []
        /// The run of a single replayed seed, kept for its trace.
        private(set) var replayed: SimulationResult?
        let single: UInt64?

        init(single: UInt64?) { self.single = single }

        func next(limit: Int) -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard issued < limit else { return nil }
            issued += 1
            return issued - 1
        }

        func add(_ result: SimulationResult) -> (done: Int, failed: Int) {
            lock.lock(); defer { lock.unlock() }
            done += 1
            stats += result.stats
            for (name, seconds) in result.timings { timings[name, default: 0] += seconds }
            if !result.passed { failures.append(result) }
            if result.seed == single { replayed = result }
            return (done, failures.count)
        }
    }
}

import Foundation

/// Which seeds to run and how. CI runs the defaults; `scripts/simulate.sh` sets the environment
/// variables below, which only this test code reads.
///
/// | variable | meaning |
/// | --- | --- |
/// | `GRILLE_SIM_SEED` | replay this one seed, with its step-by-step trace |
/// | `GRILLE_SIM_SEEDS`, `GRILLE_SIM_FIRST` | run this many seeds, starting at this one (1) |
/// | `GRILLE_SIM_STEPS` | steps per run |
/// | `GRILLE_SIM_JOBS` | seeds run at once, each in its own child process (the number of processors) |
/// | `GRILLE_SIM_TRACE` | `1`: keep the trace of every run (printed for failures) |
/// | `GRILLE_SIM_NO_REPLAY` | `1`: the emulated restore does not re-apply revocations and purges |
/// | `GRILLE_SIM_DIE_AT_SEED` | the process exits at once when it reaches this seed (to test the runner) |
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
    /// Set in a child process: where it writes its `ChildReport` (JSON) and its progress (`done failed`).
    static let childReportVariable = "GRILLE_SIM_CHILD_REPORT"
    static let childProgressVariable = "GRILLE_SIM_CHILD_PROGRESS"

    /// Runs every seed of the plan and prints progress now and then. With `plan.jobs` > 1 the seeds are
    /// cut into `jobs` consecutive slices, each run by a child process (this same test binary, filtered
    /// to this one test); threads in one process were only 1.4 times as fast as one, because SQLite's
    /// POSIX locks, `open` and `close` share process-wide mutexes (two processes: 1.95 times).
    /// `childEnvironment` is added to the children's (tests use it).
    static func run(_ plan: SimulationPlan, progress: Bool = true, childEnvironment: [String: String] = [:]) -> SimulationReport {
        let environment = ProcessInfo.processInfo.environment
        let child = environment[childReportVariable]
        let jobs = max(1, min(plan.jobs, plan.seeds))
        let started = Date()
        let tally = jobs > 1 && child == nil
            ? runInChildren(plan, jobs: jobs, progress: progress, started: started, extra: childEnvironment)
            : runHere(plan, progress: progress && child == nil, started: started, progressFile: environment[childProgressVariable])
        if let child {
            let report = ChildReport(stats: tally.stats, failures: tally.failures, timings: tally.timings)
            if let data = try? JSONEncoder().encode(report) { _ = FileManager.default.createFile(atPath: child, contents: data) }
        } else if environment["GRILLE_SIM_TIMING"] == "1" {
            print("temps par sorte de pas (s) : " + tally.timings.sorted { $0.value > $1.value }.map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", "))
        }
        return SimulationReport(plan: plan, stats: tally.stats, failures: tally.failures, replayed: tally.replayed,
                                seconds: Date().timeIntervalSince(started))
    }

    /// The progress line, at each tenth of the seeds and at each new failure; flushed, so that it is seen
    /// while the run goes on, also through a pipe.
    private static func printProgress(done: Int, of seeds: Int, failed: Int, started: Date, note: String = "") {
        print("simulation : \(done)/\(seeds) graine(s), \(failed) en échec, \(Int(Date().timeIntervalSince(started))) s\(note)")
        fflush(nil)
    }

    /// The seeds of `plan`, one after the other in this process.
    private static func runHere(_ plan: SimulationPlan, progress: Bool, started: Date, progressFile: String?) -> Tally {
        var tally = Tally()
        let every = max(1, plan.seeds / 10)
        let dieAt = ProcessInfo.processInfo.environment["GRILLE_SIM_DIE_AT_SEED"].flatMap { UInt64($0) }
        for index in 0..<plan.seeds {
            let seed = plan.firstSeed + UInt64(index)
            if seed == dieAt { _exit(70) }   // a test's stand-in for a crash inside a seed
            let result: SimulationResult
            do {
                result = try Simulation(seed: seed, config: plan.config).run()
            } catch {
                result = SimulationResult(seed: seed, steps: plan.config.steps, stats: SimStats(),
                                          violations: ["mise en place impossible : \(error)"], trace: [])
            }
            tally.add(result)
            if plan.seeds == 1 { tally.replayed = result }
            let (done, failed) = (index + 1, tally.failures.count)
            if let progressFile { _ = FileManager.default.createFile(atPath: progressFile, contents: Data("\(done) \(failed)".utf8)) }
            if progress, done % every == 0 || !result.passed {
                printProgress(done: done, of: plan.seeds, failed: failed, started: started,
                              note: result.passed ? "" : " — graine \(seed) en échec")
            }
        }
        return tally
    }

    /// What a child process hands back.
    struct ChildReport: Codable {
        let stats: SimStats
        let failures: [SimulationResult]
        let timings: [String: Double]
    }

    /// Runs `jobs` child processes on consecutive slices of the seeds and adds up what they report. A child
    /// that ends without its report (a crash inside a seed) is a failure of its whole slice, with the end of
    /// its output.
    private static func runInChildren(_ plan: SimulationPlan, jobs: Int, progress: Bool, started: Date,
                                      extra: [String: String]) -> Tally {
        var tally = Tally()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("grille-sim-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var children: [(process: Process, first: UInt64, count: Int, report: String, progress: String, log: String)] = []
        var first = plan.firstSeed
        for job in 0..<jobs {
            let count = plan.seeds / jobs + (job < plan.seeds % jobs ? 1 : 0)
            let report = "\(folder)/child-\(job).json", progressFile = "\(folder)/child-\(job).progress", log = "\(folder)/child-\(job).log"
            var environment = ProcessInfo.processInfo.environment
            environment["GRILLE_SIM_FIRST"] = String(first)
            environment["GRILLE_SIM_SEEDS"] = String(count)
            environment["GRILLE_SIM_JOBS"] = "1"
            // The plan's settings, as `SimulationPlan.fromEnvironment` reads them (the only ones it reads).
            environment["GRILLE_SIM_STEPS"] = String(plan.config.steps)
            environment["GRILLE_SIM_TRACE"] = plan.config.trace ? "1" : nil
            environment["GRILLE_SIM_NO_REPLAY"] = plan.config.replayDecisionsAfterRestore ? nil : "1"
            environment["GRILLE_SIM_SEED"] = nil
            environment[childReportVariable] = report
            environment[childProgressVariable] = progressFile
            environment.merge(extra) { _, new in new }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["--testing-library", "swift-testing", "--filter", "seededRunsLoseAndChangeNoAcknowledgedEvent"]
            process.environment = environment
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let output = FileHandle(forWritingAtPath: log)
            process.standardOutput = output
            process.standardError = output
            do {
                try process.run()
            } catch {
                tally.add(SimulationResult(seed: first, steps: plan.config.steps, stats: SimStats(),
                                           violations: ["processus de simulation non lancé : \(error)"], trace: []))
            }
            children.append((process, first, count, report, progressFile, log))
            first += UInt64(count)
        }
        // Progress: the children's counts added up, printed at each tenth and at each new failure.
        let every = max(1, plan.seeds / 10)
        var printed = (done: 0, failed: 0)
        func poll() {
            var done = 0, failed = 0
            for child in children {
                let parts = ((try? String(contentsOfFile: child.progress, encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int($0) }
                if parts.count == 2 { done += parts[0]; failed += parts[1] }
            }
            if progress && (done / every > printed.done / every || failed > printed.failed) && (done, failed) != printed {
                printProgress(done: done, of: plan.seeds, failed: failed, started: started)
            }
            printed = (done, failed)
        }
        while children.contains(where: { $0.process.isRunning }) {
            usleep(500_000)
            poll()
        }
        poll()
        var keepFolder = false
        for child in children {
            if let data = FileManager.default.contents(atPath: child.report),
               let report = try? JSONDecoder().decode(ChildReport.self, from: data) {
                tally.merge(report)
            } else {
                keepFolder = true
                let tail = ((try? String(contentsOfFile: child.log, encoding: .utf8)) ?? "").split(separator: "\n").suffix(15).joined(separator: "\n    ")
                let last = child.first + UInt64(max(child.count, 1)) - 1
                tally.add(SimulationResult(seed: child.first, steps: plan.config.steps, stats: SimStats(),
                                           violations: ["le processus des graines \(child.first)…\(last) s'est terminé sans rapport (statut \(child.process.terminationStatus)) ; sortie complète : \(child.log)\n    \(tail)"],
                                           trace: []))
            }
        }
        if !keepFolder { try? FileManager.default.removeItem(atPath: folder) }
        return tally
    }

    /// What the seeds run so far add up to.
    struct Tally {
        private(set) var stats = SimStats()
        private(set) var timings: [String: Double] = [:]
        private(set) var failures: [SimulationResult] = []
        /// The run of a single replayed seed, kept for its trace.
        var replayed: SimulationResult?

        /// Adds a child's report.
        mutating func merge(_ report: ChildReport) {
            stats += report.stats
            for (name, seconds) in report.timings { timings[name, default: 0] += seconds }
            failures += report.failures
        }

        mutating func add(_ result: SimulationResult) {
            stats += result.stats
            for (name, seconds) in result.timings { timings[name, default: 0] += seconds }
            if !result.passed { failures.append(result) }
        }
    }
}

import Foundation
import Testing
import TestSupport
@testable import Server
@testable import Shared

/// A generated academy: 8 establishments, 40 E4 commissions, 1,340 candidates, with seeded level
/// distributions (a per-establishment bias), NV and absent candidates, harmonised notes, grids « à
/// re-signer », deleted and absent grids, open conflicts and candidates with interview grids only.
struct GeneratedAcademy {
    let tmp = TemporaryDirectory("academy")
    let clock = ManualClock()
    let store: ServerStore
    /// Candidates for whom any grid was written.
    private(set) var started: Set<String> = []

    static let session = "2026"
    static let template = "ndrc-e4-ccf"
    static let fixed = ["prospection.1", "prospection.2", "prospection.3", "prospection.4", "information.1", "information.2"]
    static let options = ["negociation": ["negociation.1", "negociation.2"], "evenement": ["evenement.1", "evenement.2", "evenement.3"]]
    static let codes = ["TI", "I", "S", "TS"]

    init(seed: UInt64 = 20_260_512) throws {
        store = try ServerStore.initialise(path: tmp.sub("academy.sqlite"), academy: "Académie générée", timezone: "Europe/Paris", clock: clock)
        var random = SeededGenerator(seed: seed)
        // Roster: 8 establishments × 5 commissions; 1,340 candidates spread over the 40 commissions.
        var establishments: [Roster.Establishment] = [], evaluators: [Roster.Evaluator] = [], commissions: [Roster.Commission] = []
        var candidates: [Roster.Candidate] = [], registrations: [Roster.Registration] = []
        evaluators.append(.init(id: "ev-academy", lastName: "Recteur", firstName: "Rose", email: "r@x.fr", establishment: nil, role: .academy))
        for e in 0..<8 {
            let uai = String(format: "069%04d", e) + "A"
            establishments.append(.init(uai: uai, name: "Lycée n° \(e + 1)", city: "Ville \(e + 1)"))
            evaluators.append(.init(id: "ev-c\(e)", lastName: "Coord", firstName: "C\(e)", email: "c\(e)@x.fr", establishment: uai, role: .coordinator))
            for k in 0..<5 {
                let t = "ev-t\(e)-\(k)", p = "ev-p\(e)-\(k)"
                evaluators.append(.init(id: t, lastName: "Prof\(e)\(k)", firstName: "T", email: "\(t)@x.fr", establishment: uai, role: .teacher))
                evaluators.append(.init(id: p, lastName: "Pro\(e)\(k)", firstName: "P", email: "\(p)@x.fr", establishment: uai, role: .professional))
                commissions.append(.init(id: "cm-\(e)-\(k)", establishment: uai, template: Self.template, session: Self.session, members: [t, p]))
            }
        }
        for n in 0..<1_340 {
            let commission = commissions[n % 40]
            let number = String(format: "26%06d", n)
            candidates.append(.init(number: number, lastName: "Nom\(n)", firstName: "Prénom", establishment: commission.establishment, internshipWeeks: 16))
            registrations.append(.init(candidate: number, commission: commission.id))
        }
        let roster = Roster(establishments: establishments, evaluators: evaluators, commissions: commissions, candidates: candidates, registrations: registrations)
        try store.importRoster(roster, by: "ev-academy")

        // Grids, written straight into the log (the push path is tested elsewhere), then signatures.
        var wall = clock.nowMilliseconds()
        var events: [Event] = []
        func event(_ entity: String, _ field: String, _ value: JSONValue, by author: String, prev: [String] = []) -> Event {
            wall += 1
            let e = Event(id: SecureRandom.uuid(), entity: entity, field: field, value: value,
                          hlc: HybridLogicalClock(wall: wall, counter: 0, device: "dev-\(author)"), author: author, prev: prev)
            events.append(e)
            return e
        }
        var toSign: [(GridID, [String], Int)] = []   // grid, signers, kind (0 valid, 1 then re-sign needed)
        for (n, candidate) in candidates.enumerated() {
            let commission = commissions[n % 40]
            let (teacher, pro) = (commission.members[0], commission.members[1])
            let establishmentIndex = n % 40 / 5
            let final = GridID(template: Self.template, session: Self.session, candidate: candidate.number, situation: "final")
            let roll = Double(random.next() % 10_000) / 10_000
            let conformity = "conformity/\(Self.session)/\(candidate.number)/\(Self.template)"
            if roll < 0.03 {
                _ = event(conformity, "status", .string(["short_internship", "no_dossier", "late_dossier"][n % 3]), by: teacher)
                continue
            }
            if roll < 0.06 { _ = event(conformity, "status", "absent", by: teacher); continue }
            if roll < 0.09 { continue }   // not started
            if roll < 0.90 { _ = event(conformity, "status", "conforming", by: teacher) }
            started.insert(candidate.number)
            if roll < 0.11 {   // interview grid only
                let a = GridID(template: Self.template, session: Self.session, candidate: candidate.number, situation: "A-\(n)").entity
                _ = event(a, "level/prospection.1", .string(Self.codes[n % 4]), by: teacher)
                continue
            }
            // A final grid. Ability by establishment, noise per criterion.
            let ability = 1.2 + 0.18 * Double(establishmentIndex) + Double(random.next() % 1_000) / 1_000 * 1.4 - 0.7
            let option = n % 3 == 0 ? "negociation" : "evenement"
            _ = event(final.entity, "option", .string(option), by: teacher)
            let partial = roll < 0.16
            var sum = 0
            let criteria = Self.fixed + Self.options[option]!
            for (i, criterion) in criteria.enumerated() where !partial || i < 3 {
                let noise = Double(random.next() % 1_000) / 1_000 * 1.6 - 0.8
                let level = max(0, min(3, Int((ability + noise).rounded())))
                sum += level
                _ = event(final.entity, "level/\(criterion)", .string(Self.codes[level]), by: teacher)
            }
            if n % 7 == 0 {   // a level of the other option: out of scope
                _ = event(final.entity, "level/\(option == "negociation" ? "evenement.1" : "negociation.1")", "TI", by: pro)
            }
            if partial { continue }
            let mean = Double(sum) / Double(criteria.count)
            let noteNoise = Int(random.next() % 5) - 2
            let note = max(0, min(40, Int((mean / 3 * 34 + 4).rounded()) + noteNoise + (n % 53 == 0 ? 14 : 0)))
            _ = event(final.entity, "note", .int(Int64(note)), by: teacher)
            _ = event(final.entity, "appreciation/A", .string("Appréciation \(n)"), by: teacher)
            if roll < 0.175 { _ = event(final.entity, "status", "deleted", by: teacher); continue }
            if roll < 0.19 { _ = event(final.entity, "status", "absent", by: teacher); continue }
            if roll < 0.22 {   // an open conflict on a level: both members wrote it without seeing the other
                let c = criteria[n % criteria.count]
                _ = event(final.entity, "level/\(c)", "TS", by: teacher)
                _ = event(final.entity, "level/\(c)", "TI", by: pro)
            }
            if roll < 0.30 {
                _ = event(final.entity, "harmonisation", ["note": .int(Int64(min(40, note + 2))), "reason": "Alignement", "by": .string("ev-c\(establishmentIndex)")],
                          by: "ev-c\(establishmentIndex)")
            }
            if roll > 0.40 { toSign.append((final, roll > 0.5 ? [teacher, pro] : [teacher], roll > 0.95 ? 1 : 0)) }
        }
        try write(events)
        events = []
        for (id, signers, kind) in toSign {
            let view = try store.gridView(id)
            for signer in signers { _ = event(id.entity, "signature/\(signer)", ["content": .string(view.signedContentHash)], by: signer) }
            if kind == 1 {   // a signed value changes afterwards: « à re-signer »
                let heads = view.fields["note"]!.heads.map(\.id)
                _ = event(id.entity, "note", .int(Int64(max(0, view.note! - 1))), by: signers[0], prev: heads)
            }
        }
        try write(events)
    }

    private func write(_ events: [Event]) throws {
        try store.db.write {
            for e in events { try store.insert(e, scope: Partition.scope(of: e.entity)!, from: e.device) }
            try Materializer.refresh(events.map(\.key), in: store.db)
        }
    }
}

/// The same aggregates computed the plain way, from one `GridView` per registered candidate.
struct NaiveReport {
    var candidates: [String: AcademyReport.CandidateCounts] = [:]
    var levels: [String: [String: [String: Int]]] = [:]   // uai (or "") → criterion → level → count
    var proposed: [String: [Int]] = [:], retained: [String: [Int]] = [:]
    var profiles: [[Int]: [Int]] = [:]
    var profileGrids: [(grid: String, profile: [Int], note: Int)] = []

    init(_ store: ServerStore) throws {
        let template = store.catalog[GeneratedAcademy.template]!
        let alternatives = Set(template.optionBlocks(in: template.situation("final")!))
        for registration in store.roster.registrations {
            guard let candidate = store.roster.candidate(registration.candidate) else { continue }
            let uai = candidate.establishment
            let id = GridID(template: GeneratedAcademy.template, session: GeneratedAcademy.session, candidate: candidate.number, situation: "final")
            let view = try store.gridView(id)
            let conformity = view.context.conformity
            let status = view.value(GridField.status)?.stringValue
            let hasGrid = try store.db.scalarInt("SELECT count(*) FROM state WHERE entity LIKE ?", "grid/%/\(candidate.number)/%")! > 0
            for key in [uai, ""] {
                var c = candidates[key] ?? .init()
                c.enrolled += 1
                if conformity == .conforming { c.conforming += 1 }
                if conformity?.isNonConforming == true { c.nv += 1 }
                if conformity == .absent || ((conformity == nil || conformity == .conforming) && status == "absent") { c.absent += 1 }
                if conformity == nil { c.unrecorded += 1 }
                if hasGrid { c.started += 1 }
                if view.status == "complete" { c.complete += 1 }
                if view.status == "to_resign" { c.toResign += 1 }
                candidates[key] = c
            }
            guard conformity == nil || conformity == .conforming, status != "absent", status != "deleted" else { continue }
            for (criterion, level) in view.levels {
                let block = String(criterion.prefix { $0 != "." })
                guard !alternatives.contains(block) || block == view.option else { continue }
                for key in [uai, ""] { levels[key, default: [:]][criterion, default: [:]][level, default: 0] += 1 }
            }
            if let note = view.note { for key in [uai, ""] { proposed[key, default: []].append(note) } }
            if let note = view.retainedNote { for key in [uai, ""] { retained[key, default: []].append(note) } }
            if let note = view.note, view.missing.isEmpty, view.option != nil {
                let levels = view.levels
                let profile = GeneratedAcademy.codes.map { code in view.requiredCriteria.filter { levels[$0.id] == code }.count }
                profiles[profile, default: []].append(note)
                profileGrids.append((id.entity, profile, note))
            }
        }
    }

    static func mean(_ notes: [Int]) -> Double { Double(notes.reduce(0, +)) / Double(notes.count) / 2 }
    static func median(_ notes: [Int]) -> Double {
        let s = notes.sorted()
        return s.count % 2 == 1 ? Double(s[s.count / 2]) / 2 : Double(s[s.count / 2 - 1] + s[s.count / 2]) / 4
    }
    static func stddev(_ notes: [Int]) -> Double {
        let m = mean(notes)
        return (notes.map { (Double($0) / 2 - m) * (Double($0) / 2 - m) }.reduce(0, +) / Double(notes.count)).squareRoot()
    }

    /// The flag rule of `AcademyReport.ProfileTable.rule`, written out again.
    func flagged() -> Set<String> {
        var result: Set<String> = []
        for grid in profileGrids {
            var neighbours = [grid.profile]
            for from in 0..<4 where grid.profile[from] > 0 {
                for to in [from - 1, from + 1] where (0..<4).contains(to) {
                    var p = grid.profile
                    p[from] -= 1
                    p[to] += 1
                    neighbours.append(p)
                }
            }
            var reference = neighbours.flatMap { profiles[$0] ?? [] }
            reference.remove(at: reference.firstIndex(of: grid.note)!)
            guard reference.count >= 5 else { continue }
            if abs(Double(grid.note) / 2 - Self.median(reference)) >= 3 { result.insert(grid.grid) }
        }
        return result
    }
}

@Suite(.serialized) struct ReportAcademyTests {
    @Test func theAcademyReportEqualsAStraightforwardComputation() throws {
        let academy = try GeneratedAcademy()
        defer { academy.tmp.remove() }
        let store = academy.store
        if let keep = ProcessInfo.processInfo.environment["GRILLE_KEEP_ACADEMY"] {   // for benchmarks: a copy of the generated academy
            try store.db.checkpoint()
            for suffix in ["", ".key"] {
                try? FileManager.default.removeItem(atPath: keep + suffix)
                try FileManager.default.copyItem(atPath: store.path + suffix, toPath: keep + suffix)
            }
        }
        let started = Date()
        let report = try ReportBuilder(store: store).build(.init(session: "2026"))
        let seconds = Date().timeIntervalSince(started)
        #if DEBUG
        let build = "debug build"
        #else
        let build = "release build"
        #endif
        print("academy report on 1,340 candidates: \(Int(seconds * 1_000)) ms (\(build))")
        let naive = try NaiveReport(store)
        let e4 = try #require(report.epreuves.first)
        #expect(report.epreuves.count == 1)

        // The generated academy holds every case the report must handle.
        let all = e4.candidates.academy
        #expect(all.enrolled == 1_340)
        #expect(all.nv > 10 && all.absent > 10 && all.complete > 300 && all.toResign > 5 && all.missing > 100)
        #expect(e4.notes.academy.harmonised > 50)
        #expect(try store.db.scalarInt("SELECT count(*) FROM state WHERE conflict = 1 AND entity LIKE 'grid/%'")! > 10)
        #expect(try store.db.scalarInt("SELECT count(*) FROM state WHERE field = 'status' AND value = '\"deleted\"'")! > 5)

        #expect(all == naive.candidates[""])
        for establishment in e4.establishments {
            #expect(e4.candidates.byEstablishment[establishment.uai] == naive.candidates[establishment.uai], "\(establishment.uai)")
            let summary = e4.notes.byEstablishment[establishment.uai]!
            let proposed = naive.proposed[establishment.uai]!, retained = naive.retained[establishment.uai]!
            #expect(summary.proposed.n == proposed.count)
            #expect(abs(summary.proposed.mean! - NaiveReport.mean(proposed)) < 1e-9)
            #expect(abs(summary.retained.mean! - NaiveReport.mean(retained)) < 1e-9)
            #expect(summary.retained.median == NaiveReport.median(retained))
            #expect(abs(summary.retained.standardDeviation! - NaiveReport.stddev(retained)) < 1e-9)
        }
        let notes = e4.notes.academy
        #expect(abs(notes.retained.mean! - NaiveReport.mean(naive.retained[""]!)) < 1e-9)
        #expect(notes.proposed.median == NaiveReport.median(naive.proposed[""]!))
        #expect(notes.retained.histogram() == (0...20).map { k in naive.retained[""]!.filter { $0 / 2 == k }.count })
        print("moyenne académique (notes retenues) : \(Fixed.french(notes.retained.mean!))")

        for line in e4.criteria {
            #expect(line.academy.counts == (naive.levels[""]?[line.criterion.id] ?? [:]), "\(line.criterion.id)")
            for establishment in e4.establishments {
                #expect(line.byEstablishment[establishment.uai]!.counts == (naive.levels[establishment.uai]?[line.criterion.id] ?? [:]))
            }
        }
        #expect(e4.criteria.contains { $0.academy.counts["TI"] ?? 0 > 0 } && e4.criteria.contains { $0.academy.counts["TS"] ?? 0 > 0 })

        let profiles = Dictionary(uniqueKeysWithValues: e4.profiles.lines.map { ($0.profile.counts, $0.notes) })
        #expect(Set(profiles.keys) == Set(naive.profiles.keys))
        for (profile, notes) in naive.profiles {
            #expect(profiles[profile]?.n == notes.count)
            #expect(profiles[profile]?.min == notes.min() && profiles[profile]?.max == notes.max())
            #expect(profiles[profile]?.median == NaiveReport.median(notes))
        }
        let flagged = Set(e4.profiles.flagged.map(\.grid))
        #expect(flagged == naive.flagged())
        #expect(!flagged.isEmpty)

        // The limited report gives the same figures for its establishment.
        let uai = e4.establishments[3].uai
        let limited = try ReportBuilder(store: store).build(.init(session: "2026", establishment: uai))
        #expect(limited.epreuves[0].candidates.byEstablishment == [uai: naive.candidates[uai]!])
        #expect(Set(limited.epreuves[0].profiles.flagged.map(\.grid)) == Set(e4.profiles.flagged.filter { $0.establishment == uai }.map(\.grid)))
    }
}

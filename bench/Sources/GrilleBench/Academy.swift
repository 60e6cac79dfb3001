// B8: a national-size academy for `grille-server report` (bench/b8-report.sh).
//
//   grille-bench report-roster DIR [--candidates N] [--seed S]   the roster CSVs, to import with the server
//   grille-bench report-grids DB DIR [--seed S]                  grid events written into the server's log
//   grille-bench report-params                                   the report's SQL parameters, for sqlite3
//
// The grids follow Tests/ServerTests/ReportAcademyTests.swift (GeneratedAcademy), scaled up: conformity
// statuses, options, levels with an establishment bias, partial grids, notes, appreciations, deleted
// and absent grids, open conflicts, harmonised notes, one or two signatures, grids « à re-signer ».
// Events are inserted as ServerStore.insert does (scope, receipt with the server's key, received_at,
// received_from), then `Materializer.refresh` of their fields, in one transaction per phase.
import Foundation
import Shared

enum Academy {
    static let session = "2026"
    static let template = "ndrc-e4-ccf"
    static let fixed = ["prospection.1", "prospection.2", "prospection.3", "prospection.4", "information.1", "information.2"]
    static let options = ["negociation": ["negociation.1", "negociation.2"], "evenement": ["evenement.1", "evenement.2", "evenement.3"]]
    static let codes = ["TI", "I", "S", "TS"]
    static let establishments = 200
    static let candidatesPerCommission = 30

    static func commissions(for candidates: Int) -> Int { (candidates + candidatesPerCommission - 1) / candidatesPerCommission }
    static func uai(_ e: Int) -> String { String(format: "%07d", 690_000 + e) + "A" }
    static func number(_ n: Int) -> String { String(format: "26%06d", n) }

    static func writeRoster(directory: String, candidates: Int) {
        let count = commissions(for: candidates)
        var establishments = "uai,name,city\n"
        var evaluators = "id,last_name,first_name,email,establishment,role\nev-academy,Recteur,Rose,rose@academie.fr,,academy\n"
        var commissions = "id,establishment,template,session,members\n"
        var rosterCandidates = "number,last_name,first_name,establishment,internship_weeks\n"
        var registrations = "candidate,commission\n"
        for e in 0..<Self.establishments {
            establishments += "\(uai(e)),Lycée n° \(e + 1),Ville \(e % 97 + 1)\n"
            evaluators += "ev-c\(e),Coord\(e),Camille,c\(e)@academie.fr,\(uai(e)),coordinator\n"
        }
        for k in 0..<count {
            let e = k % Self.establishments
            evaluators += "ev-t\(k),Prof\(k),Thomas,t\(k)@academie.fr,\(uai(e)),teacher\n"
            evaluators += "ev-p\(k),Pro\(k),Pauline,p\(k)@entreprise.fr,\(uai(e)),professional\n"
            commissions += "cm-\(k),\(uai(e)),\(template),\(session),ev-t\(k);ev-p\(k)\n"
        }
        for n in 0..<candidates {
            let k = n % count
            rosterCandidates += "\(number(n)),Nom\(n),Prénom\(n % 50),\(uai(k % Self.establishments)),\(14 + n % 5)\n"
            registrations += "\(number(n)),cm-\(k)\n"
        }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, text) in [("establishments", establishments), ("evaluators", evaluators), ("commissions", commissions),
                             ("candidates", rosterCandidates), ("registrations", registrations)] {
            guard FileManager.default.createFile(atPath: "\(directory)/\(name).csv", contents: Data(text.utf8)) else {
                fail("cannot write \(directory)/\(name).csv")
            }
        }
        print("candidates=\(candidates) commissions=\(count) establishments=\(Self.establishments)")
    }

    static func writeGrids(database: String, rosterDirectory: String, seed: UInt64) {
        let catalog: TemplateCatalog
        let roster: Roster
        let db: Database
        let key: [UInt8]
        do {
            catalog = try TemplateCatalog.bundled()
            roster = try Roster.load(directory: URL(fileURLWithPath: rosterDirectory), templateIDs: Set(catalog.templates.map(\.id)))
            db = try Database(path: database)
            guard let text = try? String(contentsOfFile: database + ".key", encoding: .utf8),
                  let bytes = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { fail("no receipt key \(database).key") }
            key = bytes
        } catch { fail("\(error)") }
        guard let template = catalog[template] else { fail("no template \(self.template)") }
        var random = SplitMix64(state: seed)
        var wall = SystemWallClock().nowMilliseconds() - 86_400_000
        var events: [Event] = []
        func event(_ entity: String, _ field: String, _ value: JSONValue, by author: String, prev: [String] = []) {
            wall += 1
            events.append(Event(id: SecureRandom.uuid7(milliseconds: wall), entity: entity, field: field, value: value,
                                hlc: HybridLogicalClock(wall: wall, counter: 0, device: "dev-\(author)"), author: author, prev: prev))
        }
        func write() throws {
            let now = SystemWallClock().nowMilliseconds()
            try db.write {
                for e in events {
                    try db.run("""
                        INSERT INTO events (id, entity, field, body, scope, author, device, wall, counter, receipt, received_at, received_from)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, e.id, e.entity, e.field, e.json.canonicalString, Partition.scope(of: e.entity)!, e.author, e.device,
                        e.hlc.wall, e.hlc.counter, Receipt.make(for: e, key: key), now, e.device)
                }
                try Materializer.refresh(events.map(\.key), in: db)
            }
        }
        let commissionByID = Dictionary(uniqueKeysWithValues: roster.commissions.map { ($0.id, $0) })
        let establishmentIndex = Dictionary(uniqueKeysWithValues: roster.establishments.enumerated().map { ($1.uai, $0) })
        var toSign: [(GridID, [String], Bool)] = []
        var grids = 0
        for registration in roster.registrations {
            guard let commission = commissionByID[registration.commission], let n = Int(registration.candidate.dropFirst(2)) else { continue }
            let (teacher, pro) = (commission.members[0], commission.members[1])
            let e = establishmentIndex[commission.establishment] ?? 0
            let coordinator = "ev-c\(e)"
            let candidate = registration.candidate
            let final = GridID(template: template.id, session: session, candidate: candidate, situation: "final")
            let roll = Double(random.next() % 10_000) / 10_000
            let conformity = "conformity/\(session)/\(candidate)/\(template.id)"
            if roll < 0.03 {
                event(conformity, "status", .string(["short_internship", "no_dossier", "late_dossier"][n % 3]), by: teacher)
                continue
            }
            if roll < 0.06 { event(conformity, "status", "absent", by: teacher); continue }
            if roll < 0.09 { continue }
            if roll < 0.90 { event(conformity, "status", "conforming", by: teacher) }
            if roll < 0.11 {
                let a = GridID(template: template.id, session: session, candidate: candidate, situation: "A-1").entity
                event(a, "level/prospection.1", .string(codes[n % 4]), by: teacher)
                continue
            }
            grids += 1
            let ability = 1.2 + 0.9 * Double(e % 6) / 5 + Double(random.next() % 1_000) / 1_000 * 1.4 - 0.7
            let option = n % 3 == 0 ? "negociation" : "evenement"
            event(final.entity, "option", .string(option), by: teacher)
            let partial = roll < 0.16
            var sum = 0
            let criteria = fixed + options[option]!
            for (i, criterion) in criteria.enumerated() where !partial || i < 3 {
                let noise = Double(random.next() % 1_000) / 1_000 * 1.6 - 0.8
                let level = max(0, min(3, Int((ability + noise).rounded())))
                sum += level
                event(final.entity, "level/\(criterion)", .string(codes[level]), by: teacher)
                event(final.entity, "comment/\(criterion)", .string("Observation \(n) sur \(criterion)."), by: teacher)
            }
            if n % 7 == 0 {
                event(final.entity, "level/\(option == "negociation" ? "evenement.1" : "negociation.1")", "TI", by: pro)
            }
            if partial { continue }
            let mean = Double(sum) / Double(criteria.count)
            let noteNoise = Int(random.next() % 5) - 2
            let note = max(0, min(40, Int((mean / 3 * 34 + 4).rounded()) + noteNoise + (n % 53 == 0 ? 14 : 0)))
            event(final.entity, "note", .int(Int64(note)), by: teacher)
            event(final.entity, "appreciation/A", .string("Appréciation \(n)"), by: teacher)
            if roll < 0.175 { event(final.entity, "status", "deleted", by: teacher); continue }
            if roll < 0.19 { event(final.entity, "status", "absent", by: teacher); continue }
            if roll < 0.22 {
                let c = criteria[n % criteria.count]
                event(final.entity, "level/\(c)", "TS", by: teacher)
                event(final.entity, "level/\(c)", "TI", by: pro)
            }
            if roll < 0.30 {
                event(final.entity, "harmonisation", ["note": .int(Int64(min(40, note + 2))), "reason": "Alignement", "by": .string(coordinator)],
                      by: coordinator)
            }
            if roll > 0.40 { toSign.append((final, roll > 0.5 ? [teacher, pro] : [teacher], roll > 0.95)) }
        }
        let gridEvents = events.count
        do {
            try write()
            events = []
            for (id, signers, resign) in toSign {
                let view = try GridLoader.view(id, template: template, roster: roster, in: db)
                for signer in signers { event(id.entity, "signature/\(signer)", ["content": .string(view.signedContentHash)], by: signer) }
                if resign, let note = view.note, let heads = try Materializer.fieldStates(entity: id.entity, in: db)["note"]?.heads {
                    event(id.entity, "note", .int(Int64(max(0, note - 1))), by: signers[0], prev: heads.map(\.id))
                }
            }
            try write()
        } catch { fail("\(error)") }
        print("final_grids=\(grids) grid_events=\(gridEvents) signed_grids=\(toSign.count) signature_events=\(events.count)")
    }

    /// The parameters of Report+Queries.swift for the template and session, one `.parameter set` per line.
    static func parameters() {
        guard let catalog = try? TemplateCatalog.bundled(), let template = catalog[template],
              let final = template.situation("final") else { fail("no template") }
        let alternatives = JSONValue.array(template.optionBlocks(in: final).map { .string($0) }).canonicalString
        var required: [String: JSONValue] = [:]
        if final.alternatives.isEmpty {
            required[""] = .int(Int64(template.requiredCriteria(situation: final, option: nil).count))
        } else {
            for block in final.alternatives.flatMap({ $0 }) {
                required[block] = .int(Int64(template.requiredCriteria(situation: final, option: block).count))
            }
        }
        // The CLI binds `'2026'` as the integer 2026: a text that looks like a number goes in double quotes too.
        func quoted(_ text: String) -> String {
            let literal = "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
            return text.allSatisfy(\.isNumber) ? "\"" + literal + "\"" : literal
        }
        var lines = [".parameter init", ".parameter set ?1 \(quoted(template.id))", ".parameter set ?2 \(quoted(session))",
                     ".parameter set ?3 \(quoted("grid/\(template.id)/\(session)/"))", ".parameter set ?4 \(quoted(alternatives))",
                     ".parameter set ?5 \(quoted(JSONValue.object(required).canonicalString))"]
        for (i, code) in template.scale.map(\.code).enumerated() { lines.append(".parameter set ?\(i + 6) \(quoted(code))") }
        print(lines.joined(separator: "\n"))
    }
}

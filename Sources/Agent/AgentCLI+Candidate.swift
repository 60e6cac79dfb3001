import Foundation
import Shared

/// `candidate show NUMBER [--json]`: everything this laptop knows of one candidate — each registration with
/// its conformity, the interview grids of situation A in date order with the progression per criterion,
/// the simulation's working notes, the final grid with its note (read-only harmonisation), and a status.
extension AgentCLI {
    func candidate() throws {
        guard words.count >= 2, words[1] == "show" else { throw UsageError("Utilisation : grille-agent candidate show NUMÉRO [--json]") }
        try candidateShow()
    }

    /// One level of the A progression: the interview's date, the level, the grid.
    struct ProgressionStep {
        let date: String?
        let level: String
        let grid: GridID
    }

    /// Per criterion of situation A, in template order, the levels of the interviews that rated it, in date
    /// order (undated first, then by the clock stamp of the level).
    static func progression(_ interviews: [GridView]) -> [(criterion: String, steps: [ProgressionStep])] {
        guard let first = interviews.first else { return [] }
        var rows: [(String, [ProgressionStep])] = []
        for criterion in first.template.criteria(for: first.situation) {
            var steps: [(date: String, stamp: HybridLogicalClock, step: ProgressionStep)] = []
            for view in interviews {
                guard let state = view.fields[GridField.level(criterion.id)], !state.isTombstone, let level = state.value.stringValue else { continue }
                let date = view.value(GridField.date)?.stringValue
                steps.append((date ?? "", state.winner.hlc, ProgressionStep(date: date, level: level, grid: view.id)))
            }
            guard !steps.isEmpty else { continue }
            rows.append((criterion.id, steps.sorted { ($0.date, $0.stamp) < ($1.date, $1.stamp) }.map(\.step)))
        }
        return rows
    }

    func candidateShow() throws {
        try arguments.allowOnly(["data", "json"], command: "candidate show")
        let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-agent candidate show NUMÉRO [--json]")
        let ctx = try context()
        guard let candidate = ctx.roster.candidate(rest[0]) else {
            throw AgentError.user("Candidat inconnu « \(rest[0]) » : il ne figure pas dans la liste.")
        }
        let allGrids = try ctx.store.gridIDs().filter { $0.candidate == candidate.number }
        var registrations: [JSONValue] = []
        var statuses: [CandidateStatus] = []
        var lines: [String] = []
        for commission in registeredCommissions(candidate.number, ctx.roster) {
            guard let template = ctx.catalog[commission.template] else { continue }
            let ids = allGrids.filter { $0.template == commission.template && $0.session == commission.session }
            let views = try ids.map { try ctx.store.gridView($0, catalog: ctx.catalog) }
            let conformity = try GridLoader.conformity(session: commission.session, candidate: candidate.number, template: commission.template, in: ctx.store.db)
            let sessionState = try GridLoader.sessionState(commission.session, in: ctx.store.db)
            let status = CandidateStatus.of(conformity: conformity, grids: views)
            statuses.append(status)
            let interviews = views.filter { $0.id.situationKind == "A" }.sorted {
                ($0.value(GridField.date)?.stringValue ?? "", $0.id.entity) < ($1.value(GridField.date)?.stringValue ?? "", $1.id.entity)
            }
            let progression = AgentCLI.progression(interviews.filter { $0.value(GridField.status)?.stringValue != "deleted" })
            let simulation = views.first { $0.id.situation == "B" }
            let final = views.first(where: \.isFinal)

            var object = AgentCLI.conformityJSON(conformity, commission: commission).objectValue ?? [:]
            object["members"] = .array(commission.members.map { id in
                .object(["id": .string(id), "name": ctx.roster.evaluator(id).map { .string("\($0.lastName.uppercased()) \($0.firstName)") } ?? .null])
            })
            object["session_state"] = .string(sessionState.rawValue)
            object["status"] = .string(status.rawValue)
            object["status_label"] = .string(status.label)
            object["interviews"] = .array(interviews.map { view in
                .object(["id": .string(view.id.entity), "date": view.value(GridField.date) ?? .null, "status": .string(view.status),
                         "recommendations": view.value(GridField.recommendations) ?? .null])
            })
            var table: [String: JSONValue] = [:]
            for row in progression {
                table[row.criterion] = .array(row.steps.map { step in
                    .object(["date": step.date.map { .string($0) } ?? .null, "level": .string(step.level), "grid": .string(step.grid.entity)])
                })
            }
            object["progression"] = .object(table)
            object["simulation"] = simulation.map { view in
                .object(["id": .string(view.id.entity), "status": .string(view.status), "date": view.value(GridField.date) ?? .null,
                         "option": view.option.map { .string($0) } ?? .null, "fdap": view.value(GridField.fdap) ?? .null])
            } ?? .null
            object["final"] = final.map { view in
                .object(["id": .string(view.id.entity), "status": .string(view.status), "option": view.option.map { .string($0) } ?? .null,
                         "note": view.note.map { .int(Int64($0)) } ?? .null,
                         "harmonisation": view.harmonisation?.json ?? .null,
                         "retained_note": view.retainedNote.map { .int(Int64($0)) } ?? .null,
                         "unsigned_members": .array(view.unsignedMembers.map { .string($0) }),
                         "unconfirmed_prefills": .array(view.unconfirmedPrefills.map { .string($0) })])
            } ?? .null
            registrations.append(.object(object))

            // Text.
            lines.append("")
            lines.append("Épreuve \(commission.template), session \(commission.session) (\(sessionState.label)) — commission \(commission.id) : "
                         + commission.members.map { AgentCLI.displayName($0, roster: ctx.roster) }.joined(separator: ", "))
            lines.append("  Conformité : \(conformity?.label ?? "non renseignée")")
            lines.append("  Statut : \(status.label)")
            if interviews.isEmpty {
                if template.situations.contains(where: \.multiple) { lines.append("  Situation A : aucun entretien") }
            } else {
                lines.append("  Situation A — entretiens :")
                for view in interviews {
                    lines.append("    \(view.value(GridField.date)?.stringValue ?? "(sans date)")  \(view.id.entity)  \(GridView.statusLabel(view.status))")
                }
            }
            if !progression.isEmpty {
                lines.append("  Progression (situation A) :")
                for row in progression {
                    let steps = row.steps.map { "\($0.date ?? "sans date") \($0.level)" }.joined(separator: "  →  ")
                    lines.append("    \(row.criterion.padding(toLength: 16, withPad: " ", startingAt: 0)) \(steps)")
                }
            }
            if let simulation {
                var line = "  Situation B : \(simulation.id.entity)  \(GridView.statusLabel(simulation.status))"
                if let option = simulation.option { line += "  option \(option)" }
                if let fdap = simulation.value(GridField.fdap) { line += "  FDAP \(AgentCLI.describeFdap(fdap))" }
                lines.append(line)
            }
            if let final {
                lines.append("  Grille finale : \(final.id.entity)  \(GridView.statusLabel(final.status))")
                lines += AgentCLI.noteLines(final, roster: ctx.roster).map { "    " + $0 }
                if !final.unsignedMembers.isEmpty, final.signatures.contains(where: \.valid) {
                    lines.append("    Signatures attendues : " + final.unsignedMembers.map { AgentCLI.displayName($0, roster: ctx.roster) }.joined(separator: ", "))
                }
            } else {
                lines.append("  Grille finale : pas encore ouverte")
            }
        }
        let overall = CandidateStatus.combined(statuses)
        if json {
            output(.object([
                "candidate": .object(["number": .string(candidate.number), "last_name": .string(candidate.lastName),
                                      "first_name": .string(candidate.firstName), "establishment": .string(candidate.establishment)]),
                "status": .string(overall.rawValue),
                "status_label": .string(overall.label),
                "registrations": .array(registrations),
            ]))
            return
        }
        let school = ctx.roster.establishment(candidate.establishment).map { " — \($0.name) (\($0.uai))" } ?? ""
        say("Candidat \(candidate.number) — \(candidate.lastName.uppercased()) \(candidate.firstName)\(school)")
        say("Statut : \(overall.label)")
        if registrations.isEmpty { say("Inscrit à aucune épreuve.") }
        lines.forEach(say)
    }
}

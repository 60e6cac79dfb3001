import Foundation
import Shared

/// The report as French text for the terminal: aligned tables, decimal commas.
extension AcademyReport {
    func text(_ part: Part = .academy) -> String {
        let wants = { (p: Part) in part == .academy || part == p }
        var out: [String] = []
        let scope = establishment.map { uai in
            " — établissement \(epreuves.first?.establishments.first?.name ?? uai) (\(uai))"
        } ?? ""
        out.append("Vue académique — \(academy) — session \(session)\(scope)")
        out.append("Établi le \(ServerCLI.formatTime(generatedAt, timezone: timezone)) (\(timezone)).")
        if part != .devices && epreuves.isEmpty { out.append("\nAucune commission pour la session \(session).") }
        for epreuve in epreuves where part != .devices {
            out.append("")
            out.append("══ \(epreuve.template.diploma) \(epreuve.template.epreuve) — \(epreuve.template.title) ══")
            if wants(.candidates) { out += epreuve.candidatesText }
            if wants(.criteria) { out += epreuve.criteriaText }
            if wants(.notes) { out += epreuve.notesText }
            if wants(.profiles) && epreuve.template.note != nil { out += epreuve.profilesText }
        }
        if wants(.devices) { out += devicesText }
        return out.joined(separator: "\n")
    }

    private var devicesText: [String] {
        let out = ["", "Ordinateurs et évaluateurs"]
        guard !devices.isEmpty else { return out + ["  Aucun ordinateur inscrit."] }
        var rows = [["Appareil", "Évaluateur", "Rôle", "Dernière synchro", "Décalage d'horloge", "Conflits ouverts", "Saisies refusées", "En quarantaine", "État"]]
        for line in devices {
            let name = line.evaluator.map { "\($0.lastName.uppercased()) \($0.firstName) (\(line.device.evaluator))" } ?? line.device.evaluator
            rows.append([
                line.device.id, name, line.evaluator.map { ReportText.role($0.role) } ?? "?",
                line.device.lastSeen.map { ServerCLI.formatTime($0, timezone: timezone) } ?? "jamais",
                line.device.clockOffset.map(ReportText.offset) ?? "—",
                "\(line.conflicts)", "\(line.rejected)", "\(line.quarantined)",
                line.device.revokedAt == nil ? "actif" : "révoqué",
            ])
        }
        return out + ReportText.table(rows, rightAligned: [5, 6, 7])
    }
}

extension AcademyReport.Epreuve {
    private func label(_ uai: String) -> String {
        establishments.first { $0.uai == uai }.map { "\($0.name) (\($0.uai))" } ?? uai
    }

    var candidatesText: [String] {
        var rows = [["Candidats", "Inscrits", "Conformes", "NV", "AB", "Conformité non saisie", "Commencés", "Complets", "À re-signer", "Restants"]]
        func row(_ name: String, _ c: AcademyReport.CandidateCounts) -> [String] {
            [name] + [c.enrolled, c.conforming, c.nv, c.absent, c.unrecorded, c.started, c.complete, c.toResign, c.missing].map(String.init)
        }
        for e in establishments { rows.append(row(label(e.uai), candidates.byEstablishment[e.uai] ?? .init())) }
        rows.append(row("Académie", candidates.academy))
        return ["", "Candidats (complets : chaque membre de la commission a une signature valide ; restants : ni NV ni AB, grille finale pas encore complète)"]
            + ReportText.table(rows, rightAligned: Set(1...9))
    }

    var criteriaText: [String] {
        let codes = template.scale.map(\.code)
        var out = ["", "Niveaux par critère (grilles finales des candidats évalués ; effectif et pourcentage)"]
        for line in criteria {
            out.append("  \(line.criterion.id) — \(line.criterion.label)")
            var rows: [[String]] = [["    "] + codes + ["Total"]]
            func row(_ name: String, _ counts: AcademyReport.LevelCounts) -> [String] {
                ["    " + name] + codes.map { "\(counts.counts[$0] ?? 0) (\(Fixed.french(counts.percent($0), digits: 1)) %)" } + ["\(counts.total)"]
            }
            rows.append(row("Académie", line.academy))
            for e in establishments { rows.append(row(label(e.uai), line.byEstablishment[e.uai] ?? .init())) }
            out += ReportText.table(rows, rightAligned: Set(1...codes.count + 1))
        }
        return out
    }

    var notesText: [String] {
        guard template.note != nil else { return [] }
        var rows = [["Notes sur 20", "", "Nombre", "Moyenne", "Médiane", "Écart-type", "Min", "Max", "Harmonisées", "Écart moyen"]]
        func lines(_ name: String, _ s: AcademyReport.NoteSummary) -> [[String]] {
            func cells(_ d: NoteDistribution) -> [String] {
                ["\(d.n)", d.mean.map { Fixed.french($0) } ?? "—", d.median.map { Fixed.french($0) } ?? "—",
                 d.standardDeviation.map { Fixed.french($0) } ?? "—",
                 d.min.map { GridRules.formatNote(halfPoints: $0) } ?? "—", d.max.map { GridRules.formatNote(halfPoints: $0) } ?? "—"]
            }
            let shift = s.harmonisedWithProposal == 0 ? "—"
                : (s.harmonisedShift >= 0 ? "+" : "") + Fixed.french(Double(s.harmonisedShift) / 2 / Double(s.harmonisedWithProposal))
            return [[name, "proposées"] + cells(s.proposed) + ["\(s.harmonised)", shift],
                    ["", "retenues"] + cells(s.retained) + ["", ""]]
        }
        for e in establishments { rows += lines(label(e.uai), notes.byEstablishment[e.uai] ?? .init()) }
        rows += lines("Académie", notes.academy)
        var out = ["", "Notes (retenues : harmonisées quand un coordonnateur a harmonisé, sinon proposées par le jury)"]
        out += ReportText.table(rows, rightAligned: Set(2...9))
        out.append("  Histogramme des notes retenues par point (de k à k + 0,5) :")
        var histogramRows = [["  "] + (0...20).map(String.init)]
        for e in establishments { histogramRows.append(["  " + label(e.uai)] + (notes.byEstablishment[e.uai] ?? .init()).retained.histogram().map(String.init)) }
        histogramRows.append(["  Académie"] + notes.academy.retained.histogram().map(String.init))
        out += ReportText.table(histogramRows, rightAligned: Set(1...21))
        return out
    }

    var profilesText: [String] {
        let codes = profiles.codes
        var out = ["", "Profils et notes proposées (aide, jamais une note calculée)", "  " + AcademyReport.ProfileTable.rule]
        guard !profiles.lines.isEmpty else { return out + ["  Aucune grille finale complète avec une note."] }
        var rows = [["  Profil (" + codes.joined(separator: "-") + ")", "Grilles", "Min", "Médiane", "Max"]]
        for line in profiles.lines {
            rows.append(["  " + line.profile.counts.map(String.init).joined(separator: "-"), "\(line.notes.n)",
                         line.notes.min.map { GridRules.formatNote(halfPoints: $0) } ?? "—",
                         line.notes.median.map { Fixed.french($0) } ?? "—",
                         line.notes.max.map { GridRules.formatNote(halfPoints: $0) } ?? "—"])
        }
        out += ReportText.table(rows, rightAligned: [1, 2, 3, 4])
        if profiles.flagged.isEmpty {
            out.append("  Aucune grille signalée.")
        } else {
            out.append("  Grilles signalées (\(profiles.flagged.count)) :")
            var flagged = [["  Grille", "Établissement", "Profil", "Note", "Référence : grilles", "médiane", "min – max"]]
            for f in profiles.flagged {
                flagged.append(["  " + f.grid, f.establishment, f.profile.counts.map(String.init).joined(separator: "-"),
                                GridRules.formatNote(halfPoints: f.note), "\(f.reference.n)", f.reference.median.map { Fixed.french($0) } ?? "—",
                                "\(f.reference.min.map { GridRules.formatNote(halfPoints: $0) } ?? "—") – \(f.reference.max.map { GridRules.formatNote(halfPoints: $0) } ?? "—")"])
            }
            out += ReportText.table(flagged, rightAligned: [3, 4, 5])
        }
        return out
    }
}

/// Small helpers for aligned French text tables.
enum ReportText {
    static func table(_ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        var widths = Array(repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
    }

    static func role(_ role: Roster.Evaluator.Role) -> String {
        switch role {
        case .teacher: "enseignant"
        case .professional: "professionnel"
        case .coordinator: "coordonnateur"
        case .academy: "coordonnateur académique"
        }
    }

    /// « +1,5 s », « −40 ms ».
    static func offset(_ ms: Int64) -> String {
        let sign = ms > 0 ? "+" : ms < 0 ? "−" : ""
        let value = abs(ms)
        return value < 1_000 ? "\(sign)\(value) ms" : "\(sign)\(Fixed.french(Double(value) / 1_000, digits: 1)) s"
    }
}

import Foundation
import Shared

/// One part of the report as a French CSV table (`;`, decimal comma, UTF-8 BOM), for `report NAME --csv`.
extension AcademyReport {
    func csv(_ part: Part) throws -> String {
        typealias C = CSVExport.Cell
        var header: [String]
        var rows: [[C]] = []
        func percent(_ v: Double) -> C { .number(v, digits: 2) }
        func stat(_ v: Double?) -> C { v.map { .number($0, digits: 2) } ?? .empty }
        func name(_ e: Epreuve, _ uai: String) -> C { .text(e.establishments.first { $0.uai == uai }?.name ?? uai) }
        switch part {
        case .academy:
            throw UsageError("--csv écrit une seule table : précisez candidates, criteria, notes, profiles ou devices (grille-server report notes --csv).")
        case .candidates:
            header = ["épreuve", "UAI", "établissement", "inscrits", "conformes", "NV", "AB", "conformité non saisie", "commencés", "complets", "à re-signer", "restants"]
            for e in epreuves {
                func row(_ uai: C, _ label: C, _ c: CandidateCounts) -> [C] {
                    [.text(e.template.epreuve), uai, label] + [c.enrolled, c.conforming, c.nv, c.absent, c.unrecorded, c.started, c.complete, c.toResign, c.missing].map(C.integer)
                }
                for est in e.establishments { rows.append(row(.text(est.uai), .text(est.name), e.candidates.byEstablishment[est.uai] ?? .init())) }
                rows.append(row(.empty, .text("Académie"), e.candidates.academy))
            }
        case .criteria:
            let codes = epreuves.first?.template.scale.map(\.code) ?? ["TI", "I", "S", "TS"]
            header = ["épreuve", "critère", "libellé", "UAI", "établissement"] + codes.flatMap { [$0, "\($0) %"] } + ["total"]
            for e in epreuves {
                let codes = e.template.scale.map(\.code)
                for line in e.criteria {
                    func row(_ uai: C, _ label: C, _ counts: LevelCounts) -> [C] {
                        [.text(e.template.epreuve), .text(line.criterion.id), .text(line.criterion.label), uai, label]
                            + codes.flatMap { [C.integer(counts.counts[$0] ?? 0), percent(counts.percent($0))] } + [.integer(counts.total)]
                    }
                    rows.append(row(.empty, .text("Académie"), line.academy))
                    for est in e.establishments { rows.append(row(.text(est.uai), .text(est.name), line.byEstablishment[est.uai] ?? .init())) }
                }
            }
        case .notes:
            header = ["épreuve", "UAI", "établissement", "notes", "nombre", "moyenne", "médiane", "écart-type", "min", "max", "harmonisées", "écart moyen"]
                + (0...20).map { "[\($0) ; \($0 + 1)[" }
            for e in epreuves where e.template.note != nil {
                func lines(_ uai: C, _ label: C, _ s: NoteSummary) -> [[C]] {
                    func cells(_ kind: String, _ d: NoteDistribution) -> [C] {
                        [.text(e.template.epreuve), uai, label, .text(kind), .integer(d.n), stat(d.mean), stat(d.median), stat(d.standardDeviation),
                         CSVExport.note(d.min), CSVExport.note(d.max)]
                    }
                    let shift: C = s.harmonisedWithProposal == 0 ? .empty : .number(Double(s.harmonisedShift) / 2 / Double(s.harmonisedWithProposal), digits: 2)
                    return [cells("proposées", s.proposed) + [.integer(s.harmonised), shift] + s.proposed.histogram().map(C.integer),
                            cells("retenues", s.retained) + [.empty, .empty] + s.retained.histogram().map(C.integer)]
                }
                for est in e.establishments { rows += lines(.text(est.uai), .text(est.name), e.notes.byEstablishment[est.uai] ?? .init()) }
                rows += lines(.empty, .text("Académie"), e.notes.academy)
            }
        case .profiles:
            let codes = epreuves.first?.profiles.codes ?? ["TI", "I", "S", "TS"]
            header = ["épreuve", "ligne", "grille", "UAI"] + codes + ["note", "grilles", "min", "médiane", "max"]
            for e in epreuves where e.template.note != nil {
                for line in e.profiles.lines {
                    rows.append([.text(e.template.epreuve), .text("profil"), .empty, .empty] + line.profile.counts.map(C.integer)
                                + [.empty, .integer(line.notes.n), CSVExport.note(line.notes.min), stat(line.notes.median), CSVExport.note(line.notes.max)])
                }
                for flag in e.profiles.flagged {
                    rows.append([.text(e.template.epreuve), .text("grille signalée"), .text(flag.grid), .text(flag.establishment)]
                                + flag.profile.counts.map(C.integer)
                                + [CSVExport.note(flag.note), .integer(flag.reference.n), CSVExport.note(flag.reference.min), stat(flag.reference.median),
                                   CSVExport.note(flag.reference.max)])
                }
            }
        case .devices:
            header = ["appareil", "évaluateur", "nom", "rôle", "UAI", "dernière synchro", "décalage d'horloge (ms)", "conflits ouverts", "saisies refusées",
                      "en quarantaine", "état"]
            for line in devices {
                rows.append([.text(line.device.id), .text(line.device.evaluator),
                             line.evaluator.map { .text("\($0.lastName.uppercased()) \($0.firstName)") } ?? .empty,
                             line.evaluator.map { .text(ReportText.role($0.role)) } ?? .empty,
                             line.evaluator?.establishment.map { .text($0) } ?? .empty,
                             line.device.lastSeen.map { .text(ServerCLI.formatTime($0, timezone: timezone)) } ?? .empty,
                             line.device.clockOffset.map { .integer(Int($0)) } ?? .empty,
                             .integer(line.conflicts), .integer(line.rejected), .integer(line.quarantined),
                             .text(line.device.revokedAt == nil ? "actif" : "révoqué")])
            }
        }
        return CSVExport.encode(header: header, rows: rows, dialect: .frenchExcel)
    }
}

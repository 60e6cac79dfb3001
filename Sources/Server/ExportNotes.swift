import Foundation
import Shared

/// The notes of a session, one line per candidate and épreuve: for coordinators (and the archive), so it
/// is written before publication too — it never goes to a candidate (docs/WORKFLOW.md).
enum NotesExport {
    struct Line: Sendable, Equatable {
        var number: String
        var lastName: String
        var firstName: String
        var establishment: String
        var establishmentName: String
        var epreuve: String
        var session: String
        /// « NV », « AB », « complet », « à re-signer », « à signer », « en cours », « à évaluer », « grille supprimée ».
        var status: String
        var proposed: Int?
        var harmonised: Int?
        var retained: Int?
    }

    static let header = ["numéro", "nom", "prénom", "UAI", "établissement", "épreuve", "session", "statut",
                         "note proposée", "note harmonisée", "note retenue"]

    /// Every registered candidate of the session's commissions (of `template` when given), in commission
    /// then registration order.
    static func lines(store: ServerStore, session: String, template: String? = nil) throws -> [Line] {
        let roster = store.roster
        var lines: [Line] = []
        for commission in roster.commissions where commission.session == session && (template == nil || commission.template == template) {
            guard let grid = store.catalog[commission.template] else { continue }
            let prefix = "grid/\(commission.template)/\(session)/"
            for candidate in roster.candidates(in: commission.id) {
                let id = GridID(template: commission.template, session: session, candidate: candidate.number, situation: "final")
                let view = try GridLoader.view(id, template: grid, roster: roster, in: store.db)
                let started = try store.db.scalarInt("SELECT 1 FROM state WHERE entity >= ? AND entity < ? LIMIT 1",
                                                     prefix + candidate.number + "/", prefix + candidate.number + "0") != nil
                let status = statusLabel(view, started: started)
                let evaluated = !["NV", "AB", "grille supprimée"].contains(status)
                lines.append(Line(number: candidate.number, lastName: candidate.lastName, firstName: candidate.firstName,
                                  establishment: candidate.establishment,
                                  establishmentName: roster.establishment(candidate.establishment)?.name ?? "",
                                  epreuve: "\(grid.diploma) \(grid.epreuve)", session: session, status: status,
                                  proposed: evaluated ? view.note : nil, harmonised: evaluated ? view.harmonisation?.note : nil,
                                  retained: evaluated ? view.retainedNote : nil))
            }
        }
        return lines
    }

    /// The candidate's state for this épreuve, in the words of docs/WORKFLOW.md.
    static func statusLabel(_ view: GridView, started: Bool) -> String {
        if let conformity = view.context.conformity, let mention = conformity.mention { return mention }
        guard started else { return "à évaluer" }
        switch view.status {
        case "nv": return "NV"
        case "absent": return "AB"
        case "deleted": return "grille supprimée"
        case "complete": return "complet"
        case "to_resign": return "à re-signer"
        case "signed", "ready_to_sign": return "à signer"
        default: return "en cours"
        }
    }

    /// The CSV: plain (`,`, `14.5`) or French Excel (`;`, `14,5`, UTF-8 BOM); formulas neutralised in both.
    static func csv(_ lines: [Line], excel: Bool) -> String {
        let rows: [[CSVExport.Cell]] = lines.map { line in
            [.text(line.number), .text(line.lastName), .text(line.firstName), .text(line.establishment), .text(line.establishmentName),
             .text(line.epreuve), .text(line.session), .text(line.status),
             CSVExport.note(line.proposed), CSVExport.note(line.harmonised), CSVExport.note(line.retained)]
        }
        return CSVExport.encode(header: header, rows: rows, dialect: excel ? .frenchExcel : .plain)
    }
}

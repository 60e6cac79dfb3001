import Foundation
import Shared

/// The annexe V-5 « Fiche d'évaluation » of a candidate, as printable HTML: situation A date and the
/// commission's appreciation, situation B date, option, FDAP and appreciation, members' names with room
/// for signatures, and the retained note. It may be given to a candidate who asks, after the jury's
/// deliberation and publication — unlike the V-4 grid, which Grille never renders for a candidate.
enum FicheRenderer {
    static func render(candidate: Roster.Candidate, establishment: Roster.Establishment?, final: GridView,
                       interviews: [GridView], simulation: GridView?, roster: Roster, academy: String) -> String {
        """
            <!DOCTYPE html>
            <html lang="fr"><head><meta charset="utf-8">
            <title>Fiche d'évaluation — \(HTML.escape(candidate.lastName)) \(HTML.escape(candidate.firstName))</title>
            <style>
            \(style)
            </style></head><body>
            \(page(candidate: candidate, establishment: establishment, final: final, interviews: interviews, simulation: simulation,
                   roster: roster, academy: academy))
            </body></html>
            """
    }

    /// The print style of a fiche; `GridPrinter` reuses it to put several fiches in one file.
    static let style = """
        @page { size: A4; margin: 18mm; }
        body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #000; }
        h1 { font-size: 14pt; text-align: center; margin: 0 0 4mm; }
        h2 { font-size: 11.5pt; border-bottom: 1px solid #000; margin: 6mm 0 2mm; }
        .box { border: 1px solid #000; padding: 3mm; min-height: 22mm; white-space: pre-wrap; }
        .sig { display: inline-block; margin-left: 10mm; min-width: 50mm; border-bottom: 1px dotted #000; }
        table.meta td { padding: 1mm 4mm 1mm 0; }
        .note { font-size: 13pt; font-weight: bold; border: 2px solid #000; display: inline-block; padding: 2mm 6mm; }
        """

    /// The body of one fiche, without the document around it.
    static func page(candidate: Roster.Candidate, establishment: Roster.Establishment?, final: GridView,
                     interviews: [GridView], simulation: GridView?, roster: Roster, academy: String) -> String {
        func esc(_ s: String?) -> String { HTML.escape(s ?? "") }
        let members = final.context.members.compactMap { roster.evaluator($0) }
        let dateA = interviews.compactMap { $0.value(GridField.date)?.stringValue }.max()
        let dateB = simulation?.value(GridField.date)?.stringValue
        let fdap = simulation?.value(GridField.fdap) ?? final.value(GridField.fdap)
        let option = final.option.flatMap { final.template.block($0)?.label }
        let note = final.retainedNote.map { GridRules.formatNote(halfPoints: $0) } ?? "—"
        let mention = final.context.conformity?.mention
        let names = members.map { "<li>\(esc($0.lastName.uppercased())) \(esc($0.firstName)) <span class=\"sig\">Signature :</span></li>" }.joined()
        return """
            <p>\(esc(academy)) — \(esc(final.template.diploma)) — session \(esc(final.id.session))</p>
            <h1>\(esc(final.template.title))<br>Fiche d'évaluation (annexe V-5)</h1>
            <table class="meta">
            <tr><td>Candidat</td><td><strong>\(esc(candidate.lastName.uppercased())) \(esc(candidate.firstName))</strong> — n° \(esc(candidate.number))</td></tr>
            <tr><td>Établissement</td><td>\(esc(establishment?.name)) (\(esc(establishment?.city)))</td></tr>
            </table>
            <h2>Situation A — date : \(esc(dateA ?? "—"))</h2>
            <p>Appréciation de la commission :</p>
            <div class="box">\(esc(final.value(GridField.appreciationA)?.stringValue))</div>
            <h2>Situation B — date : \(esc(dateB ?? "—"))</h2>
            <p>Option : \(esc(option ?? "—"))<br>FDAP n° \(esc(fdap?["number"]?.stringValue ?? "—")) : \(esc(fdap?["title"]?.stringValue ?? "—"))</p>
            <p>Appréciation de la commission :</p>
            <div class="box">\(esc(final.value(GridField.appreciationB)?.stringValue))</div>
            <h2>Membres de la commission</h2>
            <ul>\(names)</ul>
            <h2>Note</h2>
            <p class="note">\(mention.map(esc) ?? "\(note) / 20")</p>
            """
    }
}

import Foundation
import Shared

/// Printable HTML (A4, print CSS) of the official forms: the annexe V-4 « Grille d'aide à l'évaluation »
/// of a final grid — confidential, for the commission and the coordinators only — and the annexe V-5
/// « Fiche d'évaluation » (`FicheRenderer`), one candidate or a whole commission per file, one page
/// each. Every stored text goes through `HTML.escape`; the documents hold no script and forbid any by
/// their Content-Security-Policy. Dates are the academy's (`ServerStore.timezone`).
struct GridPrinter {
    let store: ServerStore
    /// When the document is printed (shown in each page's foot).
    let printedAt: Int64

    init(store: ServerStore) {
        self.store = store
        self.printedAt = store.clock.nowMilliseconds()
    }

    static let confidential = "Document confidentiel — réservé à la commission d'interrogation"

    // MARK: - Documents

    /// One HTML file of pages, each on its own sheet.
    static func document(title: String, style: String, pages: [String]) -> String {
        """
        <!DOCTYPE html>
        <html lang="fr"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <title>\(HTML.escape(title))</title>
        <style>
        \(style)
        section.page { break-after: page; page-break-after: always; }
        section.page:last-child { break-after: auto; page-break-after: auto; }
        </style></head><body>
        \(pages.map { "<section class=\"page\">\n\($0)\n</section>" }.joined(separator: "\n"))
        </body></html>

        """
    }

    /// V-4 grids of the given final grids (a grid with no saved field prints blank, for the jury to fill
    /// by hand).
    func gridDocument(_ ids: [GridID], title: String) throws -> String {
        Self.document(title: title, style: Self.gridStyle, pages: try ids.map(gridPage))
    }

    /// V-5 fiches of the given final grids.
    func ficheDocument(_ ids: [GridID], title: String) throws -> String {
        let pages = try ids.map { id in
            let parts = try gridsOf(id)
            guard let candidate = store.roster.candidate(id.candidate) else { throw ServerError.user("Candidat inconnu « \(id.candidate) ».") }
            return FicheRenderer.page(candidate: candidate, establishment: store.roster.establishment(candidate.establishment), final: parts.final,
                                      interviews: parts.interviews, simulation: parts.simulation, roster: store.roster, academy: store.academy)
                + "\n<p class=\"foot\">Imprimé le \(HTML.escape(ServerCLI.formatTime(printedAt, timezone: store.timezone))) (\(HTML.escape(store.timezone))).</p>"
        }
        return Self.document(title: title, style: FicheRenderer.style + "\n.foot { font-size: 8pt; color: #444; margin-top: 6mm; }", pages: pages)
    }

    /// The final grids of a commission's candidates, in registration order.
    func finalGrids(commission id: String) throws -> [GridID] {
        guard let commission = store.roster.commission(id) else { throw ServerError.user("Commission inconnue « \(id) ».") }
        return store.roster.candidates(in: commission.id).map {
            GridID(template: commission.template, session: commission.session, candidate: $0.number, situation: "final")
        }
    }

    /// A final grid with the interview and simulation grids of the same candidate, épreuve and session.
    func gridsOf(_ id: GridID) throws -> (final: GridView, interviews: [GridView], simulation: GridView?) {
        let final = try store.gridView(id)
        let prefix = "grid/\(id.template)/\(id.session)/\(id.candidate)/"
        let others = try store.db.query("SELECT DISTINCT entity FROM state WHERE entity >= ? AND entity < ?", prefix, String(prefix.dropLast()) + "0")
            .compactMap { GridID(entity: $0.string(0)) }
        let interviews = try others.filter { $0.situationKind == "A" }.map(store.gridView)
        let simulation = try others.first { $0.situation == "B" }.map(store.gridView)
        return (final, interviews, simulation)
    }

    // MARK: - V-4 page

    func gridPage(_ id: GridID) throws -> String {
        let (view, interviews, simulation) = try gridsOf(id)
        let roster = store.roster
        let template = view.template
        let candidate = roster.candidate(id.candidate)
        let establishment = candidate.flatMap { roster.establishment($0.establishment) }
        let commission = roster.commission(forCandidate: id.candidate, template: id.template, session: id.session)
        func esc(_ s: String?) -> String { HTML.escape(s ?? "") }

        let dateA = interviews.compactMap { $0.value(GridField.date)?.stringValue }.max()
        let dateB = simulation?.value(GridField.date)?.stringValue ?? view.value(GridField.date)?.stringValue
        let fdap = simulation?.value(GridField.fdap) ?? view.value(GridField.fdap)
        let levels = view.levels, comments = view.comments
        let conflicted = Set(view.conflicts.map(\.key.field))
        let prefilled = Set(view.unconfirmedPrefills)
        let outOfScope = Set(template.outOfScopeCriteria(situation: view.situation, option: view.option).map(\.id))
        let optionBlocks = Set(template.optionBlocks(in: view.situation))
        let blocks = template.blocks.filter { view.situation.blocks.contains($0.id) || optionBlocks.contains($0.id) }

        var rows = ""
        for block in blocks {
            let off = optionBlocks.contains(block.id) && view.option != nil && view.option != block.id
            let situation = block.situationLabel.map { " — \(esc($0))" } ?? ""
            rows += "<tr class=\"block\(off ? " off" : "")\"><th colspan=\"\(2 + template.scale.count)\">\(esc(block.label))\(situation)\(off ? " <em>(option non retenue)</em>" : "")</th></tr>\n"
            for criterion in block.criteria {
                let level = outOfScope.contains(criterion.id) ? nil : levels[criterion.id]
                var notes: [String] = []
                if conflicted.contains(GridField.level(criterion.id)) { notes.append("valeur en conflit entre deux ordinateurs") }
                if prefilled.contains(criterion.id) { notes.append("pré-remplie, à confirmer") }
                let comment = comments[criterion.id].map { "<div class=\"comment\">Commentaire : \(esc($0))</div>" } ?? ""
                let flags = notes.isEmpty ? "" : "<div class=\"flag\">\(esc(notes.joined(separator: " ; ")))</div>"
                rows += "<tr\(off ? " class=\"off\"" : "")><td class=\"crit\">\(esc(criterion.label))</td>"
                rows += "<td class=\"ind\">\(esc(criterion.indicators))\(comment)\(flags)</td>"
                for scale in template.scale {
                    rows += scale.code == level ? "<td class=\"lv x\">X</td>" : "<td class=\"lv\"></td>"
                }
                rows += "</tr>\n"
            }
        }

        let conformity = view.context.conformity
        let mention = conformity?.mention ?? (view.value(GridField.status)?.stringValue == "absent" ? "AB" : nil)
        var noteLine = ""
        if template.note != nil && view.situation.givesNote {
            if let mention {
                noteLine = "<p class=\"note\">\(esc(mention)) — \(esc(conformity?.label ?? "absent (AB)"))</p>"
            } else {
                let proposed = view.note.map { GridRules.formatNote(halfPoints: $0) } ?? "&nbsp;&nbsp;&nbsp;&nbsp;"
                noteLine = "<p class=\"note\">NOTE proposée : <strong>\(proposed)</strong> / 20</p>"
                if let h = view.harmonisation {
                    noteLine += "<p class=\"harm\">Note harmonisée : <strong>\(GridRules.formatNote(halfPoints: h.note))</strong> / 20 — motif : \(esc(h.reason)) (\(esc(name(of: h.by))))</p>"
                }
            }
        }

        var appreciations = ""
        if view.situation.fields.contains(.appreciationA) {
            appreciations += "<div class=\"appr\"><h2>Appréciation de la commission — situation A</h2><div class=\"box\">\(esc(view.value(GridField.appreciationA)?.stringValue))</div></div>\n"
        }
        if view.situation.fields.contains(.appreciationB) {
            appreciations += "<div class=\"appr\"><h2>Appréciation de la commission — situation B</h2><div class=\"box\">\(esc(view.value(GridField.appreciationB)?.stringValue))</div></div>\n"
        }
        if view.situation.fields.contains(.recommendations) {
            appreciations += "<div class=\"appr\"><h2>Recommandations</h2><div class=\"box\">\(esc(view.value(GridField.recommendations)?.stringValue))</div></div>\n"
        }

        let signatures = Dictionary(view.signatures.map { ($0.evaluator, $0) }, uniquingKeysWith: { a, _ in a })
        var signRows = ""
        for member in commission?.members ?? view.context.members {
            let person = roster.evaluator(member)
            let signature = signatures[member]
            let who = signature?.name ?? person.map { "\($0.lastName.uppercased()) \($0.firstName)" } ?? member
            let quality = person.map { ReportText.role($0.role) } ?? ""
            let electronic = signature.map { s in
                "signée le \(ServerCLI.formatTime(s.state.winner.hlc.wall, timezone: store.timezone))\(s.witness.map { ", témoin \(name(of: $0))" } ?? "")"
                    + (s.valid ? "" : " — à re-signer")
            } ?? "non signée"
            signRows += "<tr><td>\(esc(who))</td><td>\(esc(quality))</td><td>\(esc(electronic))</td><td class=\"line\"></td></tr>\n"
        }

        var situationLines = ""
        if template.situation("A") != nil { situationLines += "<tr><td>Situation A</td><td>date : \(esc(dateA.map(Self.frenchDate) ?? "……"))</td></tr>" }
        if view.situation.fields.contains(.option) {
            let option = view.option.flatMap { template.block($0)?.label } ?? "……"
            let fdapText = fdap.map { "FDAP n° \(esc($0["number"]?.stringValue)) : \(esc($0["title"]?.stringValue))" } ?? "FDAP n° ……"
            situationLines += "<tr><td>Situation B</td><td>date : \(esc(dateB.map(Self.frenchDate) ?? "……")) — option : \(esc(option)) — \(fdapText)</td></tr>"
        }
        let header = template.scale.map { "<th class=\"lv\" title=\"\(esc($0.label))\">\(esc($0.code))</th>" }.joined()
        let labels = template.scale.map { "<th class=\"lv small\">\(esc($0.label))</th>" }.joined()
        let status = GridView.statusLabel(view.fields.isEmpty ? "in_progress" : view.status)

        return """
            <div class="v4">
            <div class="conf">\(esc(Self.confidential))</div>
            <p class="top">\(esc(store.academy)) — \(esc(template.diploma)) — session \(esc(id.session))</p>
            <h1>Épreuve \(esc(template.epreuve)) — \(esc(template.title))<br><span class="form">\(esc(template.form))</span></h1>
            \(template.confidentiality.map { "<p class=\"mention\">Grille \(esc($0)).</p>" } ?? "")
            <table class="meta">
            <tr><td>Candidat</td><td><strong>\(esc(candidate?.lastName.uppercased() ?? id.candidate)) \(esc(candidate?.firstName))</strong> — n° \(esc(id.candidate))</td></tr>
            <tr><td>Établissement</td><td>\(esc(establishment?.name)) (\(esc(establishment?.city)))\(commission.map { " — commission \(esc($0.id))" } ?? "")</td></tr>
            \(situationLines)
            </table>
            <table class="grid">
            <thead><tr><th class="crit">Compétences</th><th class="ind">Critères d'évaluation et indicateurs</th>\(header)</tr>
            <tr><th></th><th></th>\(labels)</tr></thead>
            <tbody>
            \(rows)</tbody>
            </table>
            \(appreciations)\(noteLine)
            <table class="sign">
            <thead><tr><th>Membres de la commission (nom et prénom)</th><th>Qualité</th><th>Signature électronique</th><th>Signature</th></tr></thead>
            <tbody>
            \(signRows)</tbody>
            </table>
            <p class="foot">État : \(esc(status)) — \(esc(id.entity)) — imprimé le \(esc(ServerCLI.formatTime(printedAt, timezone: store.timezone))) (\(esc(store.timezone)))</p>
            </div>
            """
    }

    private func name(of evaluator: String) -> String {
        store.roster.evaluator(evaluator).map { "\($0.lastName.uppercased()) \($0.firstName)" } ?? evaluator
    }

    /// `2026-05-12` → `12/05/2026` (a calendar date: no time zone to apply).
    static func frenchDate(_ iso: String) -> String {
        let parts = iso.split(separator: "-")
        guard parts.count == 3 else { return iso }
        return "\(parts[2])/\(parts[1])/\(parts[0])"
    }

    static let gridStyle = """
        @page { size: A4; margin: 10mm 11mm; }
        * { box-sizing: border-box; }
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 7.8pt; color: #000; margin: 0; }
        .v4 .conf { border: 2px solid #000; text-align: center; font-weight: bold; font-size: 9.5pt; padding: 1.2mm; text-transform: uppercase; letter-spacing: 0.3pt; }
        .v4 .top { margin: 2mm 0 1mm; font-size: 8pt; }
        .v4 h1 { font-size: 12pt; text-align: center; margin: 1mm 0 1mm; }
        .v4 h1 .form { font-size: 10pt; font-weight: normal; }
        .v4 .mention { text-align: center; font-style: italic; margin: 0 0 2mm; }
        .v4 table { border-collapse: collapse; width: 100%; }
        .v4 table.meta td { padding: 0.6mm 3mm 0.6mm 0; vertical-align: top; }
        .v4 table.meta td:first-child { font-weight: bold; white-space: nowrap; }
        .v4 table.grid { margin-top: 2mm; }
        .v4 table.grid th, .v4 table.grid td { border: 1px solid #000; padding: 0.6mm 1.2mm; vertical-align: middle; }
        .v4 table.grid thead th { background: #d9d9d9; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        .v4 table.grid th.crit, .v4 td.crit { width: 31%; text-align: left; }
        .v4 td.crit { font-weight: bold; }
        .v4 table.grid th.lv, .v4 td.lv { width: 6.5%; text-align: center; }
        .v4 th.small { font-size: 6.5pt; font-weight: normal; }
        .v4 td.x { font-size: 12pt; font-weight: bold; }
        .v4 tr.block th { background: #efefef; text-align: left; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
        .v4 tr.off td, .v4 tr.block.off th { color: #777; background: #f6f6f6; }
        .v4 .comment { font-style: italic; font-size: 7.5pt; margin-top: 0.6mm; white-space: pre-wrap; }
        .v4 .flag { font-size: 7.5pt; font-weight: bold; margin-top: 0.6mm; }
        .v4 .appr h2 { font-size: 9pt; margin: 2mm 0 0.6mm; }
        .v4 .box { border: 1px solid #000; padding: 1.5mm; min-height: 12mm; white-space: pre-wrap; }
        .v4 .note { font-size: 11pt; border: 2px solid #000; display: inline-block; padding: 1mm 5mm; margin: 2mm 0 0.5mm; }
        .v4 .harm { margin: 0.5mm 0 1mm; }
        .v4 table.sign { margin-top: 2.5mm; }
        .v4 table.sign th, .v4 table.sign td { border: 1px solid #000; padding: 1mm 1.5mm; text-align: left; }
        .v4 table.sign td { height: 10mm; }
        .v4 table.sign td.line { width: 32%; }
        .v4 .foot { font-size: 7pt; color: #444; margin-top: 2mm; }
        """
}

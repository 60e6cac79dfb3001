import Foundation
import Shared

/// The grids list, the read-only printable view of a grid, and the harmonisation form (which runs
/// `ServerStore.harmonise`, the code path of `grille-server harmonise`).
extension Dashboard {
    // MARK: - List

    static func gridsPage(_ context: DashboardContext) throws -> HTTPResponse {
        let store = context.store
        let session = context.selectedSession
        let scope = try context.selectedEstablishment()
        let establishments = store.roster.establishments.filter { scope == nil || $0.uai == scope }
        let existing = Set(try store.db.query("SELECT DISTINCT entity FROM state WHERE entity >= 'grid/' AND entity < 'grid0' AND entity LIKE ?",
                                              "grid/%/\(session)/%").map { $0.string(0) })
        var body = "<p class=\"lead\">Grilles finales de la session \(L.esc(session)), en lecture seule. Ouvrez une grille pour l'imprimer ou harmoniser sa note.</p>\n"
        var any = false
        for template in store.catalog.templates {
            let commissions = store.roster.commissions.filter { c in
                c.template == template.id && c.session == session && establishments.contains { $0.uai == c.establishment }
            }
            guard !commissions.isEmpty else { continue }
            any = true
            body += "<section class=\"epreuve\">\n<h2>\(L.esc(template.diploma)) \(L.esc(template.epreuve)) — \(L.esc(template.title))</h2>\n"
            for establishment in establishments {
                let here = commissions.filter { $0.establishment == establishment.uai }
                guard !here.isEmpty else { continue }
                body += """
                    <div class="table-wrap"><table>
                    <caption>\(L.esc(establishment.name)) (\(L.esc(establishment.uai)))</caption>
                    <thead><tr><th scope="col">Candidat</th><th scope="col">N°</th><th scope="col">Commission</th><th scope="col">État</th><th scope="col">Note proposée</th><th scope="col">Note harmonisée</th><th scope="col">Grille finale</th></tr></thead>
                    <tbody>

                    """
                for commission in here {
                    let members = commission.members.map { L.personName(store.roster.evaluator($0)) }.joined(separator: ", ")
                    for candidate in store.roster.candidates(in: commission.id) {
                        let id = GridID(template: template.id, session: session, candidate: candidate.number, situation: "final")
                        let started = existing.contains { $0.hasPrefix("grid/\(template.id)/\(session)/\(candidate.number)/") }
                        var state = started ? "en cours" : "à évaluer"
                        var proposed = "—", harmonised = "—", link = "—"
                        if existing.contains(id.entity) {
                            let view = try store.gridView(id)
                            state = GridView.statusLabel(view.status)
                            proposed = L.note(view.note)
                            harmonised = view.harmonisation.map { L.note($0.note) } ?? "—"
                            link = L.gridLink(id.entity, label: "Voir la grille")
                        } else if let conformity = try GridLoader.conformity(session: session, candidate: candidate.number, template: template.id, in: store.db),
                                  conformity != .conforming {
                            state = conformity.mention ?? conformity.label
                        }
                        body += "<tr><th scope=\"row\">\(L.esc(L.candidateName(candidate)))</th><td>\(L.esc(candidate.number))</td><td>\(L.esc(members))</td>"
                        body += "<td>\(L.esc(state))</td><td class=\"num\">\(L.esc(proposed))</td><td class=\"num\">\(L.esc(harmonised))</td><td>\(link)</td></tr>\n"
                    }
                }
                body += "</tbody></table></div>\n"
            }
            body += "</section>\n"
        }
        if !any { body += "<p class=\"empty\">Aucune commission pour la session \(L.esc(session)).</p>\n" }
        return L.page(context, title: "Grilles", active: "/dashboard/grids", body: body)
    }

    // MARK: - One grid

    /// The grid named by `?id=` (or the form's `grid`), checked against the coordinator's establishment
    /// before anything about it is read: 403 for another establishment's grid, 404 for an unknown one.
    static func accessibleGrid(_ text: String?, _ context: DashboardContext) throws -> GridID {
        guard let text, let id = GridID(entity: text), context.store.catalog[id.template] != nil else {
            throw ServerError(404, "unknown_grid", "Grille inconnue.")
        }
        guard context.user.mayAccess(entity: id.entity, store: context.store) else {
            throw ServerError(403, "forbidden", "Cette grille n'est pas celle d'un candidat de votre établissement : accès refusé.")
        }
        guard try context.store.db.scalarInt("SELECT 1 FROM state WHERE entity = ? LIMIT 1", id.entity) != nil else {
            throw ServerError(404, "unknown_grid", "Grille inconnue « \(id.entity) ».")
        }
        return id
    }

    static func gridPage(_ context: DashboardContext) throws -> HTTPResponse {
        let id = try accessibleGrid(context.query["id"], context)
        let notice = context.query["ok"] == "harmonised" ? "Note harmonisée enregistrée : elle sera transmise aux ordinateurs du jury, en lecture seule." : nil
        return try gridResponse(context, id: id, notice: notice)
    }

    static func gridResponse(_ context: DashboardContext, id: GridID, notice: String? = nil, error: String? = nil, status: Int = 200) throws -> HTTPResponse {
        let store = context.store
        let view = try store.gridView(id)
        let candidate = store.roster.candidate(id.candidate)
        var body = "<p class=\"no-print actions\"><a href=\"/dashboard/grids?session=\(L.esc(id.session))\">← Toutes les grilles</a> <a href=\"/dashboard/grid/print?id=\(L.esc(L.queryEncode(id.entity)))\">Version à imprimer (A4, annexe V-4)</a> <button type=\"button\" data-print>Imprimer cette page</button></p>\n"
        body += gridSheet(view, store: store)
        body += try harmonisationForm(context, view: view)
        return L.page(context, title: "Grille de \(L.candidateName(candidate))", active: "/dashboard/grids", filters: false,
                      notice: notice, error: error, status: status, body: body)
    }

    /// The grid laid out like the official paper grid: header, one table per block with the four level
    /// columns, then the fields, the notes and the signatures.
    static func gridSheet(_ view: GridView, store: ServerStore) -> String {
        let template = view.template
        let id = view.id
        let candidate = store.roster.candidate(id.candidate)
        let members = view.context.members.map { L.personName(store.roster.evaluator($0)) }
        let option = view.option.flatMap { template.block($0)?.label }
        var html = "<article class=\"sheet\" aria-label=\"Grille\">\n<header class=\"sheet-head\">\n"
        if let confidentiality = template.confidentiality { html += "<p class=\"confidential\">\(L.esc(confidentiality))</p>\n" }
        html += "<p>\(L.esc(store.academy)) — \(L.esc(template.diploma)) — session \(L.esc(id.session))</p>\n"
        html += "<h2>\(L.esc(template.title))<br><small>\(L.esc(template.form))</small></h2>\n<dl class=\"meta\">\n"
        let meta: [(String, String)] = [
            ("Candidat", "\(L.candidateName(candidate)) — n° \(id.candidate)"),
            ("Établissement", L.establishmentName(candidate?.establishment, store)),
            ("Commission", members.isEmpty ? "—" : members.joined(separator: ", ")),
            ("Situation", view.situation.label),
        ] + (view.situation.alternatives.isEmpty ? [] : [("Option", option ?? "non choisie")]) + [
            ("Conformité", view.context.conformity?.label ?? "non saisie"),
            ("État", GridView.statusLabel(view.status)),
        ]
        for (term, value) in meta { html += "<dt>\(L.esc(term))</dt><dd>\(L.esc(value))</dd>\n" }
        html += "</dl>\n</header>\n"
        let levels = view.levels
        let comments = view.comments
        let required = Set(view.requiredCriteria.map(\.id))
        let outOfScope = Set(view.outOfScope)
        let conflicted = Dictionary(view.conflicts.map { ($0.key.field, $0) }, uniquingKeysWith: { a, _ in a })
        let blockIDs = Set(view.situation.blocks).union(view.situation.alternatives.joined())
        for block in template.blocks where blockIDs.contains(block.id) {
            let used = block.criteria.contains { required.contains($0.id) || levels[$0.id] != nil }
            let isAlternative = !view.situation.blocks.contains(block.id)
            if isAlternative && !used && view.option != nil { continue }
            html += "<table class=\"grid-block\">\n<caption>\(L.esc(block.label))\(block.situationLabel.map { " — " + L.esc($0) } ?? "")"
            if isAlternative && view.option != block.id { html += " <span class=\"badge\">hors option</span>" }
            html += "</caption>\n<thead><tr><th scope=\"col\">Critères et indicateurs</th>"
            html += template.scale.map { "<th scope=\"col\" class=\"level\"><abbr title=\"\(L.esc($0.label))\">\(L.esc($0.code))</abbr></th>" }.joined()
            html += "</tr></thead>\n<tbody>\n"
            for criterion in block.criteria {
                let level = levels[criterion.id]
                html += "<tr\(outOfScope.contains(criterion.id) ? " class=\"out-of-scope\"" : "")><th scope=\"row\"><span class=\"criterion\">\(L.esc(criterion.label))</span>"
                if let indicators = criterion.indicators { html += "<span class=\"indicators\">\(L.esc(indicators))</span>" }
                if let comment = comments[criterion.id] { html += "<span class=\"comment\">Commentaire : \(L.esc(comment))</span>" }
                if let conflict = conflicted[GridField.level(criterion.id)] {
                    let values = conflict.heads.map { "\($0.value.stringValue ?? "—") (\(L.personName(store.roster.evaluator($0.author))))" }
                    html += "<span class=\"conflict\">Conflit : \(L.esc(values.joined(separator: " / ")))</span>"
                }
                if required.contains(criterion.id) && level == nil { html += "<span class=\"missing\">non renseigné</span>" }
                html += "</th>"
                for scaleLevel in template.scale {
                    html += scaleLevel.code == level
                        ? "<td class=\"tick checked\"><span aria-hidden=\"true\">✕</span><span class=\"sr-only\">\(L.esc(scaleLevel.label))</span></td>"
                        : "<td class=\"tick\"></td>"
                }
                html += "</tr>\n"
            }
            html += "</tbody></table>\n"
        }
        html += "<section class=\"fields\">\n"
        let texts: [(String, String)] = [
            (GridField.date, "Date"), (GridField.recommendations, "Recommandations"),
            (GridField.appreciationA, "Appréciation de la situation A"), (GridField.appreciationB, "Appréciation de la situation B"),
        ]
        for (field, label) in texts {
            guard let value = view.value(field)?.stringValue else { continue }
            html += "<h3>\(L.esc(label))</h3><p class=\"box\">\(L.esc(value))</p>\n"
        }
        if let fdap = view.value(GridField.fdap) {
            html += "<h3>FDAP</h3><p class=\"box\">n° \(L.esc(fdap["number"]?.stringValue ?? "—")) : \(L.esc(fdap["title"]?.stringValue ?? "—"))</p>\n"
        }
        if template.note != nil && view.situation.givesNote {
            html += "<div class=\"notes\"><p>Note proposée par le jury : <strong class=\"note\">\(L.esc(L.note(view.note))) / 20</strong></p>\n"
            if let harmonisation = view.harmonisation {
                html += "<p>Note harmonisée : <strong class=\"note\">\(L.esc(L.note(harmonisation.note))) / 20</strong> par \(L.esc(L.personName(store.roster.evaluator(harmonisation.by)))) — motif : \(L.esc(harmonisation.reason))</p>\n"
            }
            html += "<p>Note retenue : <strong class=\"note\">\(L.esc(view.context.conformity?.mention ?? "\(L.note(view.retainedNote)) / 20"))</strong></p></div>\n"
        }
        html += "</section>\n"
        if view.isFinal {
            let signatures = Dictionary(view.signatures.map { ($0.evaluator, $0) }, uniquingKeysWith: { a, _ in a })
            html += "<table class=\"signatures\"><caption>Membres de la commission et signatures</caption>\n"
            html += "<thead><tr><th scope=\"col\">Membre</th><th scope=\"col\">Signature</th></tr></thead><tbody>\n"
            for member in view.context.members {
                let state: String
                if let signature = signatures[member] {
                    let when = L.time(signature.state.winner.hlc.wall, store)
                    let witness = signature.witness.map { " (cosignée devant \(L.personName(store.roster.evaluator($0))))" } ?? ""
                    state = (signature.valid ? "signée le \(when)" : "à re-signer (signée le \(when), une valeur a changé depuis)") + witness
                } else {
                    state = "non signée"
                }
                html += "<tr><th scope=\"row\">\(L.esc(L.personName(store.roster.evaluator(member))))</th><td>\(L.esc(state))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        return html + "</article>\n"
    }

    static func harmonisationForm(_ context: DashboardContext, view: GridView, note: String = "", reason: String = "") throws -> String {
        let store = context.store
        guard view.isFinal, let scale = view.template.note else { return "" }
        if try store.isPurged(view.id.session) { return "" }
        guard try GridLoader.sessionState(view.id.session, in: store.db) == .open else {
            return "<p class=\"no-print hint\">Session \(L.esc(view.id.session)) délibérée : la note ne peut plus être harmonisée.</p>\n"
        }
        return """
            <section class="no-print panel" aria-labelledby="harmonise-title">
            <h2 id="harmonise-title">Harmoniser la note</h2>
            <p class="hint">La proposition du jury reste visible ; la note harmonisée devient la note retenue et part vers les ordinateurs du jury, en lecture seule. Le motif est obligatoire.</p>
            <form method="post" action="/dashboard/harmonise" class="stack">
            \(L.hidden("csrf", context.session.csrf))
            \(L.hidden("grid", view.id.entity))
            <label for="h-note">Note harmonisée (sur \(Fixed.french(scale.max, digits: 0)))</label>
            <input id="h-note" name="note" type="text" inputmode="decimal" required size="6" aria-describedby="h-note-hint" value="\(L.esc(note))">
            <span id="h-note-hint" class="hint">De 0 à \(Fixed.french(scale.max, digits: 0)) par demi-point, par exemple 14,5.</span>
            <label for="h-reason">Motif</label>
            <textarea id="h-reason" name="reason" required rows="3" maxlength="\(GridRules.maxTextLength)">\(L.esc(reason))</textarea>
            <button type="submit">Enregistrer la note harmonisée</button>
            </form>
            </section>

            """
    }

    /// POST /dashboard/harmonise: `grid`, `note`, `reason`.
    static func harmonise(_ context: DashboardContext) throws -> HTTPResponse {
        let id = try accessibleGrid(context.form["grid"], context)
        let noteText = context.form["note"]?.trimmingWhitespace() ?? ""
        let reason = context.form["reason"] ?? ""
        func refused(_ message: String) throws -> HTTPResponse {
            let view = try context.store.gridView(id)
            var response = try gridResponse(context, id: id, error: message, status: 400)
            // Re-show what was typed, so a refusal loses nothing.
            let page = String(decoding: response.body, as: UTF8.self)
            let fresh = try harmonisationForm(context, view: view)
            let typed = try harmonisationForm(context, view: view, note: noteText, reason: reason)
            response.body = Array(page.replacingOccurrences(of: fresh, with: typed).utf8)
            return response
        }
        guard let halfPoints = GridRules.parseNote(noteText) else {
            return try refused("Note invalide « \(noteText) » : de 0 à 20 par demi-point, par exemple 14,5.")
        }
        do {
            _ = try context.store.harmonise(id.entity, halfPoints: halfPoints, reason: reason, by: context.user.id)
        } catch let error as ServerError where error.status == 400 {
            return try refused(error.message)
        }
        return redirect("/dashboard/grid?id=\(L.queryEncode(id.entity))&ok=harmonised")
    }

    /// GET /dashboard/api/grid?id=: the `grid show --json` document of a grid of the coordinator's scope.
    static func gridJSON(_ context: DashboardContext) throws -> HTTPResponse {
        let id = try accessibleGrid(context.query["id"], context)
        return .json(try context.store.gridView(id).json)
    }
}

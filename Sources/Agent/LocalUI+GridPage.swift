import Foundation
import Shared

/// The grid page, laid out like the official grid (blocks, criteria with their indicators, one column per
/// level, TI I S TS), with the option, pre-filled values, comments, conflicts and history on each criterion,
/// the situation's fields, signatures and the coordinator's harmonisation; and its print view.
extension LocalUI {
    /// Everything the grid page shows, read under `exclusive`.
    struct GridPageData {
        let cli: AgentCLI
        let ctx: AgentCLI.Context
        let view: GridView
        let candidate: Roster.Candidate?
        let history: [(field: String, winner: String?, events: [Event])]
        /// Why this evaluator cannot write here (not a member, closed session, interview by a non-teacher).
        let readOnly: String?
        let academy: String?
    }

    func gridData(_ input: Input, key: String = "id") throws -> GridPageData {
        let text = try input.required(key, "L'identifiant de la grille")
        guard let id = GridID(entity: text) else {
            throw LocalUIError.badRequest("Grille invalide « \(text) » : ouvrez-la depuis la page du candidat.")
        }
        let (cli, ctx) = try readyContext()
        guard try ctx.store.gridIDs().contains(id) else {
            throw LocalUIError.notFound("Grille inconnue « \(text) » : ouvrez-la depuis la page du candidat.")
        }
        do {
            let view = try ctx.store.gridView(id, catalog: ctx.catalog)
            var readOnly: String?
            do { try cli.requireWritable(id, ctx) } catch let error as AgentError { readOnly = error.message }
            return GridPageData(cli: cli, ctx: ctx, view: view, candidate: ctx.roster.candidate(id.candidate),
                                history: try ctx.store.history(id, fieldFilter: { _ in true }), readOnly: readOnly,
                                academy: try ctx.store.setting(LocalStore.SyncKey.academy))
        } catch {
            throw LocalUIError.from(error)
        }
    }

    func gridPage(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let screen = try exclusive { () -> Screen in
            let data = try gridData(input)
            let name = data.candidate.map { "\($0.lastName.uppercased()) \($0.firstName)" } ?? data.view.id.candidate
            return Screen(title: "\(data.view.situation.label) — \(name)", main: gridHTML(data),
                          identity: LocalUI.identityLine(data.ctx.me), indicator: try indicator(), bodyClass: "grid-page")
        }
        return show(screen)
    }

    /// The part of a write's answer that refreshes the status box of the grid page.
    static func summary(_ view: GridView) -> JSONValue {
        [
            "status": .string(view.status), "status_label": .string(GridView.statusLabel(view.status)),
            "missing": .array(view.missing.map { .string($0) }),
            "blockers": .array((view.isFinal ? view.signingBlockers : []).map { .string($0) }),
            "conflicts": .int(Int64(view.conflicts.count)),
            "prefills": .array(view.unconfirmedPrefills.map { .string($0) }),
        ]
    }

    func statusBoxHTML(_ view: GridView) -> String {
        let missing = view.missing
        let blockers = view.isFinal ? view.signingBlockers : []
        return """
            <div id="grid-status" class="status-box st-\(esc(view.status))" role="status" aria-live="polite">
            <p><strong>Statut :</strong> <span id="gs-label">\(esc(GridView.statusLabel(view.status)))</span></p>
            <p id="gs-missing"\(missing.isEmpty ? " hidden" : "")>À renseigner : <span id="gs-missing-list">\(esc(missing.joined(separator: ", ")))</span></p>
            <ul id="gs-blockers"\(blockers.isEmpty ? " hidden" : "")>\(blockers.map { "<li>\(esc($0))</li>" }.joined())</ul>
            </div>
            """
    }

    func hiddenFields(_ view: GridView) -> String {
        "\(csrfField)<input type=\"hidden\" name=\"back\" value=\"/grille?id=\(esc(urlQuery(view.id.entity)))\"><input type=\"hidden\" name=\"grid\" value=\"\(esc(view.id.entity))\">"
    }

    func gridHTML(_ data: GridPageData) -> String {
        let view = data.view
        let template = view.template
        let editable = data.readOnly == nil
        let name = data.candidate.map { "\(esc($0.lastName.uppercased())) \(esc($0.firstName))" } ?? esc(view.id.candidate)
        var html = """
            <nav class="crumbs" aria-label="Fil d'Ariane"><a href="/">Mes commissions</a> › <a href="/candidat?n=\(esc(urlQuery(view.id.candidate)))">\(name)</a> › \(esc(view.situation.label))</nav>
            <div class="grid-head">
            <h1>\(esc(view.situation.label)) — \(name) <span class="sub">n° \(esc(view.id.candidate))</span></h1>
            <p class="official">\(esc(template.diploma)) — Épreuve \(esc(template.epreuve)) — \(esc(template.title)) — \(esc(template.form)) — session \(esc(view.id.session))\(view.value(GridField.date)?.stringValue.map { " — entretien du \(esc($0))" } ?? "")</p>
            \(template.confidentiality.map { "<p class=\"confidential\">Confidentiel : \(esc($0)).</p>" } ?? "")
            <p class="head-actions"><a class="button" href="/impression?id=\(esc(urlQuery(view.id.entity)))">Version imprimable</a></p>
            </div>
            """
        if let reason = data.readOnly {
            html += "<p class=\"notice\" role=\"note\">Lecture seule : \(esc(reason))</p>"
        }
        html += statusBoxHTML(view)
        if editable {
            let count = template.scale.count
            html += "<p class=\"help\" id=\"kbd-help\">Au clavier : Tab passe d'un critère à l'autre ; les flèches ou les touches 1 à \(count) cochent un niveau (1 = \(esc(template.scale.first?.code ?? "")), \(count) = \(esc(template.scale.last?.code ?? ""))) ; Suppr efface. Chaque coche est enregistrée aussitôt sur cet ordinateur.</p>"
        }
        html += optionHTML(data)
        let prefills = view.unconfirmedPrefills
        if !prefills.isEmpty {
            html += """
                <div class="prefill-box"><p>\(prefills.count) niveau(x) pré-rempli(s) à confirmer par un membre du jury : \(esc(prefills.joined(separator: ", "))). Cocher un autre niveau confirme aussi.</p>
                \(editable ? "<form class=\"inline\" method=\"post\" action=\"/api/grid/confirm\" data-api=\"/api/grid/confirm\" data-after=\"reload\" novalidate>\(hiddenFields(view))<input type=\"hidden\" name=\"all\" value=\"true\"><button type=\"submit\">Tout confirmer</button><p class=\"form-msg\" role=\"status\"></p></form>" : "")</div>
                """
        }
        html += tableHTML(data)
        html += fieldsHTML(data)
        if view.isFinal { html += signaturesHTML(data) }
        html += otherConflictsHTML(data)
        return html
    }

    /// The option of the situation (B, final): one block of the alternative.
    func optionHTML(_ data: GridPageData) -> String {
        let view = data.view
        let options = view.template.optionBlocks(in: view.situation)
        guard !options.isEmpty else { return "" }
        let radios = options.map { block in
            let id = "option-\(block)"
            return "<span class=\"check\"><input type=\"radio\" id=\"\(esc(id))\" name=\"value\" value=\"\(esc(block))\"\(view.option == block ? " checked" : "")\(data.readOnly == nil ? "" : " disabled")><label for=\"\(esc(id))\">\(esc(view.template.block(block)?.label ?? block))</label></span>"
        }.joined()
        return """
            <form class="option-form" method="post" action="/api/grid/field" data-api="/api/grid/field" data-after="reload" novalidate>
            \(hiddenFields(view))<input type="hidden" name="field" value="option">
            <fieldset><legend>Option de la situation B\(view.option == nil ? " (à choisir avant de cocher ses critères)" : "")</legend>\(radios)</fieldset>
            \(data.readOnly == nil ? "<button type=\"submit\">Enregistrer l'option</button>" : "")
            <p class="form-msg" role="status"></p>
            </form>
            \(conflictHTML(data, field: GridField.option))
            """
    }

    func tableHTML(_ data: GridPageData) -> String {
        let view = data.view
        let template = view.template
        let scale = template.scale
        let usable = Set(template.criteria(for: view.situation).map(\.id))
        let optionBlocks = template.optionBlocks(in: view.situation)
        let head = scale.map { "<th scope=\"col\" class=\"c-lvl\"><abbr title=\"\(esc($0.label))\">\(esc($0.code))</abbr>\($0.name.map { "<span class=\"sub\">\(esc($0))</span>" } ?? "")</th>" }.joined()
        var html = """
            <div class="grid-wrap"><table class="grille" data-grid="\(esc(view.id.entity))">
            <caption class="sr">\(esc(template.form)) : un niveau par critère</caption>
            <thead><tr><th scope="col" class="c-crit">Critères d'évaluation</th><th scope="col" class="c-ind">Indicateurs d'évaluation</th>\(head)</tr></thead>
            """
        for block in template.blocks {
            let criteria = block.criteria.filter { usable.contains($0.id) }
            guard !criteria.isEmpty else { continue }
            let isOption = optionBlocks.contains(block.id)
            let excluded = isOption && view.option != nil && view.option != block.id
            let waiting = isOption && view.option == nil
            var note = ""
            if excluded { note = " — option non retenue : ses critères restent vides" }
            if waiting { note = " — choisissez d'abord l'option" }
            html += """
                <tbody class="block\(excluded || waiting ? " excluded" : "")" id="b-\(esc(block.id))">
                <tr class="block-head"><th colspan="\(2 + scale.count)" scope="colgroup">\(esc(block.label))\(block.situationLabel.map { " <span class=\"sub\">\(esc($0))</span>" } ?? "")\(esc(note))</th></tr>
                """
            for evaluation in block.evaluation {
                html += "<tr class=\"evaluation\"><td colspan=\"\(2 + scale.count)\">\(esc(evaluation.label))\(evaluation.indicators.map { " — <span class=\"ind\">\(esc($0))</span>" } ?? "")</td></tr>"
            }
            for criterion in criteria {
                html += rowHTML(data, criterion: criterion, disabled: data.readOnly != nil || excluded || waiting)
            }
            html += "</tbody>"
        }
        html += "</table></div>"
        return html
    }

    func rowHTML(_ data: GridPageData, criterion: Template.Criterion, disabled: Bool) -> String {
        let view = data.view
        let cid = criterion.id
        let level = view.levels[cid]
        let levelField = GridField.level(cid)
        let conflict = view.fields[levelField]?.isConflict == true
        let prefilled = view.value(GridField.prefill(cid)) != nil
        let outOfScope = view.outOfScope.contains(cid)
        var classes = ["crit"]
        if conflict { classes.append("conflict") }
        if prefilled { classes.append("prefilled") }
        var badges = ""
        if prefilled {
            badges += "<span class=\"badge st-prefill\">pré-rempli, à confirmer</span>"
            if data.readOnly == nil {
                badges += "<form class=\"inline mini\" method=\"post\" action=\"/api/grid/confirm\" data-api=\"/api/grid/confirm\" data-after=\"reload\" novalidate>\(hiddenFields(view))<input type=\"hidden\" name=\"criterion\" value=\"\(esc(cid))\"><button type=\"submit\" aria-label=\"Confirmer le niveau pré-rempli de \(esc(cid))\">Confirmer</button></form>"
            }
        }
        if outOfScope { badges += "<span class=\"badge st-out\">hors option choisie : exclu de la grille signée</span>" }
        if conflict { badges += "<span class=\"badge st-conflict\">conflit</span>" }
        let cells = view.template.scale.enumerated().map { index, entry in
            let checked = level == entry.code
            return """
                <td class="c-lvl"><label class="tick"><input type="radio" class="lvl" name="lvl-\(esc(cid))" value="\(esc(entry.code))" data-criterion="\(esc(cid))" data-key="\(index + 1)" aria-label="\(esc(cid)) : \(esc(entry.label)) (\(esc(entry.code)))"\(checked ? " checked" : "")\(disabled ? " disabled" : "")><span class="code" aria-hidden="true">\(esc(entry.code))</span></label></td>
                """
        }.joined()
        let comment = view.comments[cid]
        var tools = ""
        if data.readOnly == nil && !disabled {
            tools += "<button type=\"button\" class=\"link clear-level\" data-criterion=\"\(esc(cid))\"\(level == nil ? " hidden" : "")>Effacer le niveau</button>"
        }
        tools += """
            <details class="comment"\(comment == nil ? "" : " open")><summary>Commentaire\(comment == nil ? "" : " (rempli)")</summary>
            <form class="stack" method="post" action="/api/grid/comment" data-api="/api/grid/comment" data-after="stay" novalidate>
            \(hiddenFields(view))<input type="hidden" name="criterion" value="\(esc(cid))">
            <label for="cm-\(esc(cid))">Commentaire sur \(esc(cid))</label>
            <textarea id="cm-\(esc(cid))" name="text" rows="2" maxlength="\(GridRules.maxTextLength)"\(data.readOnly == nil ? "" : " readonly")>\(esc(comment ?? ""))</textarea>
            \(data.readOnly == nil ? "<button type=\"submit\">Enregistrer le commentaire</button>" : "")<p class="form-msg" role="status"></p>
            </form></details>
            \(historyHTML(data, criterion: cid))
            """
        let indicators = criterion.indicators.map(esc) ?? ""
        return """
            <tr class="\(classes.joined(separator: " "))" id="row-\(esc(cid))" data-criterion="\(esc(cid))" data-level="\(esc(level ?? ""))">
            <th scope="row" class="c-crit"><span class="cid">\(esc(cid))</span> <span class="clabel">\(esc(criterion.label))</span>
            \(indicators.isEmpty ? "" : "<span class=\"ind-inline\">\(indicators)</span>")
            \(badges.isEmpty ? "" : "<div class=\"badges\">\(badges)</div>")
            \(conflictHTML(data, field: levelField))\(conflictHTML(data, field: GridField.comment(cid)))
            <div class="row-tools">\(tools)</div>
            <p class="row-msg" role="alert"></p></th>
            <td class="c-ind">\(indicators)</td>
            \(cells)
            </tr>
            """
    }

    /// A value as the page shows it.
    static func display(_ field: String, _ value: JSONValue, roster: Roster) -> String {
        AgentCLI.describe(field: field, value: value, roster: roster)
    }

    /// The conflict of one field, shown where the field is: each value with who wrote it and when, and a
    /// button that keeps it (writing it again, having seen every value, ends the conflict).
    func conflictHTML(_ data: GridPageData, field: String) -> String {
        guard let state = data.view.fields[field], state.isConflict else { return "" }
        let roster = data.ctx.roster
        let items = state.heads.map { head -> String in
            let value = LocalUI.display(field, head.value, roster: roster)
            let who = "\(roster.displayName(head.author)) (\(head.author))"
            let keep = data.readOnly == nil
                ? "<form class=\"inline mini\" method=\"post\" action=\"/api/grid/resolve\" data-api=\"/api/grid/resolve\" data-after=\"reload\" novalidate>\(hiddenFields(data.view))<input type=\"hidden\" name=\"field\" value=\"\(esc(field))\"><input type=\"hidden\" name=\"event\" value=\"\(esc(head.id))\"><button type=\"submit\" aria-label=\"Garder « \(esc(value)) », saisi par \(esc(who))\">Garder cette valeur</button></form>"
                : ""
            return "<li><strong>\(esc(value))</strong> — \(esc(who)), le \(esc(AgentCLI.formatTime(head.hlc.wall)))\(head.id == state.winner.id ? " (affichée)" : "") \(keep)</li>"
        }.joined()
        return """
            <div class="conflict-box" role="group" aria-label="Conflit sur \(esc(field))">
            <p class="conflict-title">Conflit sur \(esc(field)) : ces valeurs ont été saisies sans que l'une ait vu l'autre. Gardez-en une.</p>
            <ul>\(items)</ul></div>
            """
    }

    func historyHTML(_ data: GridPageData, criterion: String) -> String {
        let fields = data.history.filter { GridField.criterion(of: $0.field)?.criterion == criterion }
        let kinds = ["level": "Niveau", "comment": "Commentaire", "prefill": "Pré-rempli"]
        var entries: [(event: Event, text: String)] = []
        for entry in fields {
            let kind = GridField.criterion(of: entry.field)?.kind ?? ""
            for event in entry.events {
                let value = event.value == .null ? "(effacé)" : (event.value.stringValue ?? event.value.canonicalString)
                let mark = event.id == entry.winner ? "retenu" : "remplacé"
                let text = "\(kinds[kind] ?? kind) : \(value) — \(mark) — \(data.ctx.roster.displayName(event.author)) (\(event.author)), \(AgentCLI.formatTime(event.hlc.wall)), appareil \(event.device)"
                entries.append((event, text))
            }
        }
        guard !entries.isEmpty else { return "" }
        let items = entries.sorted { Event.lwwPrecedes($1.event, $0.event) }.map { "<li>\(esc($0.text))</li>" }.joined()
        return "<details class=\"history\"><summary>Historique (\(entries.count))</summary><ol>\(items)</ol></details>"
    }

    /// The situation's fields (date, recommendations, FDAP, appreciations, note), the fiche sujet read-only,
    /// and the harmonisation, read-only.
    func fieldsHTML(_ data: GridPageData) -> String {
        let view = data.view
        let editable = data.readOnly == nil
        let readonly = editable ? "" : " readonly"
        var parts: [String] = []
        func fieldForm(_ cliName: String, _ field: String, _ label: String, _ control: String, help: String? = nil) -> String {
            """
            <form class="stack field-form" method="post" action="/api/grid/field" data-api="/api/grid/field" data-after="stay" novalidate>
            \(hiddenFields(view))<input type="hidden" name="field" value="\(esc(cliName))">
            <label for="f-\(esc(cliName))">\(esc(label))</label>
            \(control)
            \(help.map { "<p class=\"help\" id=\"f-\(esc(cliName))-help\">\(esc($0))</p>" } ?? "")
            \(editable ? "<button type=\"submit\">Enregistrer</button>" : "")
            <p class="form-msg" role="status"></p>
            </form>
            \(conflictHTML(data, field: field))
            """
        }
        let text = { (field: String) in esc(view.value(field)?.stringValue ?? "") }
        for field in view.situation.fields {
            switch field {
            case .date:
                parts.append(fieldForm("date", GridField.date, "Date", "<input type=\"date\" id=\"f-date\" name=\"value\" value=\"\(text(GridField.date))\"\(readonly)>"))
            case .recommendations:
                parts.append(fieldForm("recommendations", GridField.recommendations, "Recommandations au candidat",
                                       "<textarea id=\"f-recommendations\" name=\"value\" rows=\"4\" maxlength=\"\(GridRules.maxTextLength)\"\(readonly)>\(text(GridField.recommendations))</textarea>"))
            case .appreciationA:
                parts.append(fieldForm("appreciation-A", GridField.appreciationA, "Appréciation de la commission — situation A",
                                       "<textarea id=\"f-appreciation-A\" name=\"value\" rows=\"4\" maxlength=\"\(GridRules.maxTextLength)\"\(readonly)>\(text(GridField.appreciationA))</textarea>"))
            case .appreciationB:
                parts.append(fieldForm("appreciation-B", GridField.appreciationB, "Appréciation de la commission — situation B",
                                       "<textarea id=\"f-appreciation-B\" name=\"value\" rows=\"4\" maxlength=\"\(GridRules.maxTextLength)\"\(readonly)>\(text(GridField.appreciationB))</textarea>"))
            case .note:
                let note = view.note.map { GridRules.formatNote(halfPoints: $0) } ?? ""
                parts.append(fieldForm("note", GridField.note, "Note proposée sur 20",
                                       "<input id=\"f-note\" name=\"value\" inputmode=\"decimal\" size=\"6\" value=\"\(esc(note))\" aria-describedby=\"f-note-help\"\(readonly)>",
                                       help: "De 0 à 20 par demi-point, par exemple 14,5. C'est une proposition : la note retenue peut être harmonisée."))
            case .fdap:
                let fdap = view.value(GridField.fdap)
                parts.append("""
                    <form class="stack field-form" method="post" action="/api/grid/fdap" data-api="/api/grid/fdap" data-after="stay" novalidate>
                    \(hiddenFields(view))
                    <fieldset><legend>FDAP retenue (annexe V-1)</legend>
                    <label for="f-fdap-number">Numéro</label><input id="f-fdap-number" name="number" size="6" value="\(esc(fdap?["number"]?.stringValue ?? ""))"\(readonly)>
                    <label for="f-fdap-title">Titre</label><input id="f-fdap-title" name="title" value="\(esc(fdap?["title"]?.stringValue ?? ""))"\(readonly)>
                    </fieldset>
                    \(editable ? "<button type=\"submit\">Enregistrer la FDAP</button>" : "")
                    <p class="form-msg" role="status"></p></form>
                    \(conflictHTML(data, field: GridField.fdap))
                    """)
            case .subject:
                if let subject = view.value(GridField.subject)?.objectValue, !subject.isEmpty {
                    let rows = subject.sorted { $0.key < $1.key }.map { "<dt>\(esc($0.key))</dt><dd>\(esc($0.value.stringValue ?? $0.value.canonicalString))</dd>" }.joined()
                    parts.append("<section class=\"subject\"><h3>Fiche sujet (annexes V-2, V-3)</h3><dl>\(rows)</dl></section>")
                } else {
                    parts.append("<p class=\"help\">Fiche sujet : pas encore enregistrée (grille-agent grid subject GRILLE --file FICHE.json).</p>")
                }
            case .option:
                continue
            }
        }
        if let harmonisation = view.harmonisation {
            let at = view.fields[GridField.harmonisation].map { ", le " + AgentCLI.formatTime($0.winner.hlc.wall) } ?? ""
            parts.append("""
                <section class="harmonisation" aria-labelledby="harm-h"><h3 id="harm-h">Harmonisation (lecture seule)</h3>
                <p>Note harmonisée : <strong>\(esc(GridRules.formatNote(halfPoints: harmonisation.note)))/20</strong> — motif : \(esc(harmonisation.reason)) — par \(esc(data.ctx.roster.displayName(harmonisation.by))) (\(esc(harmonisation.by)))\(esc(at)).</p>
                \(view.note.map { "<p>Note proposée par le jury : \(esc(GridRules.formatNote(halfPoints: $0)))/20. Note retenue : \(esc(GridRules.formatNote(halfPoints: view.retainedNote ?? $0)))/20.</p>" } ?? "")
                </section>
                """)
        }
        guard !parts.isEmpty else { return "" }
        return "<section class=\"fields\" aria-labelledby=\"fields-h\"><h2 id=\"fields-h\">Appréciations et informations</h2>\(parts.joined())</section>"
    }

    func signaturesHTML(_ data: GridPageData) -> String {
        let view = data.view
        let roster = data.ctx.roster
        let signatures = view.signatures.map { signature -> String in
            var line = "\(roster.displayName(signature.evaluator)) (\(signature.evaluator))"
            if let name = signature.name {
                line += ", co-signée sous le nom « \(name) »" + (signature.witness.map { " en présence de \(roster.displayName($0))" } ?? "")
            }
            line += " — le \(AgentCLI.formatTime(signature.state.winner.hlc.wall)) — "
            return "<li>\(esc(line))<strong>\(signature.valid ? "valide" : "à re-signer")</strong></li>"
        }.joined()
        let blockers = view.signingBlockers
        let expected = view.unsignedMembers.map { esc(roster.displayName($0)) }.joined(separator: ", ")
        var html = """
            <section class="signatures" aria-labelledby="sig-h"><h2 id="sig-h">Signatures</h2>
            \(signatures.isEmpty ? "<p>Aucune signature.</p>" : "<ul>\(signatures)</ul>")
            \(expected.isEmpty ? "" : "<p>Signatures attendues : \(expected).</p>")
            """
        if !blockers.isEmpty {
            // Kept current by the page's script after each write (the same list as the status box).
            html += "<div class=\"blockers\" id=\"sign-blockers\"><p>La grille ne peut pas encore être signée :</p><ul>\(blockers.map { "<li>\(esc($0))</li>" }.joined())</ul></div>"
        }
        if data.readOnly == nil {
            let me = data.ctx.me
            html += """
                <form class="inline" method="post" action="/api/grid/sign" data-api="/api/grid/sign" data-after="reload" novalidate>
                \(hiddenFields(view))<button type="submit" class="primary" id="sign-me">Signer la grille (\(esc(me.firstName)) \(esc(me.lastName.uppercased())))</button><p class="form-msg" role="status"></p>
                </form>
                <details class="cosign"><summary>Co-signature d'un membre sans compte, en votre présence</summary>
                <form class="stack" method="post" action="/api/grid/sign" data-api="/api/grid/sign" data-after="reload" novalidate>
                \(hiddenFields(view))
                <label for="sign-name">Nom du membre (« NOM Prénom »)</label><input id="sign-name" name="name" autocomplete="off">
                <span class="check"><input type="checkbox" id="sign-witness" name="witness"><label for="sign-witness">Je suis témoin : ce membre de la commission signe devant moi, sur cet ordinateur.</label></span>
                <button type="submit">Enregistrer la co-signature</button><p class="form-msg" role="status"></p>
                </form></details>
                """
        }
        return html + "</section>"
    }

    /// Conflicts on fields shown nowhere else (status, fiche sujet, signatures…).
    func otherConflictsHTML(_ data: GridPageData) -> String {
        let shown: (String) -> Bool = { field in
            if GridField.criterion(of: field) != nil { return true }
            return [GridField.option, GridField.date, GridField.recommendations, GridField.appreciationA,
                    GridField.appreciationB, GridField.note, GridField.fdap].contains(field)
        }
        let others = data.view.conflicts.filter { !shown($0.key.field) }
        guard !others.isEmpty else { return "" }
        return "<section class=\"conflicts\" aria-labelledby=\"other-conflicts-h\"><h2 id=\"other-conflicts-h\">Autres conflits</h2>"
            + others.map { conflictHTML(data, field: $0.key.field) }.joined() + "</section>"
    }

    // MARK: - Print view

    func printPage(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let screen = try exclusive { () -> Screen in
            let data = try gridData(input)
            return Screen(title: "Impression — \(data.view.situation.label)", main: printHTML(data), identity: LocalUI.identityLine(data.ctx.me),
                          indicator: try indicator(), bodyClass: "print-view")
        }
        return show(screen)
    }

    /// The grid as the official paper form: header, candidate, one row per criterion with a cross in the
    /// level's column, appreciations, note, members with room for their signatures.
    func printHTML(_ data: GridPageData) -> String {
        let view = data.view
        let template = view.template
        let roster = data.ctx.roster
        let levels = view.levels
        let usable = Set(template.criteria(for: view.situation).map(\.id))
        let optionBlocks = template.optionBlocks(in: view.situation)
        let scale = template.scale
        var rows = ""
        for block in template.blocks {
            let criteria = block.criteria.filter { usable.contains($0.id) }
            guard !criteria.isEmpty else { continue }
            if optionBlocks.contains(block.id), let option = view.option, option != block.id { continue }
            rows += "<tr class=\"block-head\"><th colspan=\"\(2 + scale.count)\" scope=\"colgroup\">\(esc(block.label))\(block.situationLabel.map { " <span class=\"sub\">(\(esc($0)))</span>" } ?? "")</th></tr>"
            for criterion in criteria {
                let cells = scale.map { entry in
                    levels[criterion.id] == entry.code ? "<td class=\"c-lvl mark\"><span aria-label=\"\(esc(entry.label))\">X</span></td>" : "<td class=\"c-lvl\"></td>"
                }.joined()
                rows += "<tr><th scope=\"row\" class=\"c-crit\">\(esc(criterion.label))</th><td class=\"c-ind\">\(esc(criterion.indicators ?? ""))</td>\(cells)</tr>"
            }
        }
        let members = data.view.context.members.map { id -> String in
            let valid = view.signatures.first { $0.evaluator == id && $0.valid }
            return "<li>\(esc(roster.displayName(id)))<span class=\"sig\">\(valid.map { "signé le " + esc(AgentCLI.formatTime($0.state.winner.hlc.wall)) } ?? "Signature :")</span></li>"
        }.joined()
        var blocks = ""
        let fields = view.situation.fields
        if fields.contains(.date) { blocks += "<p>Date : \(esc(view.value(GridField.date)?.stringValue ?? "—"))</p>" }
        if fields.contains(.option), let option = view.option { blocks += "<p>Option : \(esc(template.block(option)?.label ?? option))</p>" }
        if fields.contains(.fdap), let fdap = view.value(GridField.fdap) { blocks += "<p>FDAP : \(esc(AgentCLI.describeFdap(fdap)))</p>" }
        if fields.contains(.recommendations) { blocks += "<h2>Recommandations</h2><div class=\"box\">\(esc(view.value(GridField.recommendations)?.stringValue ?? ""))</div>" }
        if fields.contains(.appreciationA) { blocks += "<h2>Appréciation de la commission — situation A</h2><div class=\"box\">\(esc(view.value(GridField.appreciationA)?.stringValue ?? ""))</div>" }
        if fields.contains(.appreciationB) { blocks += "<h2>Appréciation de la commission — situation B</h2><div class=\"box\">\(esc(view.value(GridField.appreciationB)?.stringValue ?? ""))</div>" }
        if fields.contains(.note) {
            let mention = view.context.conformity?.mention
            let note = view.note.map { GridRules.formatNote(halfPoints: $0) } ?? "—"
            blocks += "<h2>Note proposée</h2><p class=\"note\">\(esc(mention ?? "\(note) / 20"))</p>"
            if let harmonisation = view.harmonisation {
                blocks += "<p>Note harmonisée : \(esc(GridRules.formatNote(halfPoints: harmonisation.note))) / 20 — \(esc(harmonisation.reason))</p>"
            }
        }
        let candidate = data.candidate.map { "\(esc($0.lastName.uppercased())) \(esc($0.firstName))" } ?? ""
        let school = data.candidate.flatMap { roster.establishment($0.establishment) }.map { "\(esc($0.name)) (\(esc($0.city)))" } ?? ""
        return """
            <p class="print-actions"><button type="button" data-action="print">Imprimer</button> <a href="/grille?id=\(esc(urlQuery(view.id.entity)))">Retour à la grille</a></p>
            <article class="paper">
            <p class="paper-top">\(esc(data.academy ?? "")) — \(esc(template.diploma)) — session \(esc(view.id.session))</p>
            <h1>\(esc(template.form))<br>\(esc(template.diploma)) — Épreuve \(esc(template.epreuve)) — \(esc(template.title))</h1>
            \(template.confidentiality.map { "<p class=\"confidential\">\(esc($0))</p>" } ?? "")
            <table class="meta"><tr><th scope="row">Candidat</th><td><strong>\(candidate)</strong> — n° \(esc(view.id.candidate))</td></tr>
            <tr><th scope="row">Établissement</th><td>\(school)</td></tr>
            <tr><th scope="row">Grille</th><td>\(esc(view.situation.label)) — \(esc(GridView.statusLabel(view.status)))</td></tr></table>
            <table class="grille paper-grid">
            <thead><tr><th scope="col" class="c-crit">Critères d'évaluation</th><th scope="col" class="c-ind">Indicateurs d'évaluation</th>\(scale.map { "<th scope=\"col\" class=\"c-lvl\"><abbr title=\"\(esc($0.label))\">\(esc($0.code))</abbr></th>" }.joined())</tr></thead>
            <tbody>\(rows)</tbody></table>
            \(blocks)
            <h2>Membres de la commission</h2><ul class="members">\(members)</ul>
            </article>
            """
    }
}

import Foundation
import Shared

/// The pages around the grids: my commissions and their candidates, one candidate (conformity, the
/// interviews of situation A and their progression, B, the final grid), the enrollment page and the USB page.
extension LocalUI {
    /// What a page handler renders under `exclusive`; `show` frames it outside.
    struct Screen {
        var title: String
        var main: String
        var identity: String?
        var current: String?
        var indicator: Indicator
        var bodyClass = ""
    }

    func show(_ screen: Screen) -> HTTPResponse {
        page(title: screen.title, main: screen.main, current: screen.current, identity: screen.identity,
             bodyClass: screen.bodyClass, indicator: screen.indicator)
    }

    /// Where this data directory stands: no identity yet (enrollment), an identity whose roster has not
    /// arrived (first sync pending), or ready.
    enum Readiness {
        case needsEnrollment
        case waitingForRoster(String)
        case ready(AgentCLI, AgentCLI.Context)
    }

    func readiness() throws -> Readiness {
        let cli = try makeCLI()
        do {
            let store = try cli.openStore()
            guard let id = try store.setting(LocalStore.SyncKey.evaluator) else { return .needsEnrollment }
            let roster = try store.roster()
            guard let me = roster.evaluator(id) else { return .waitingForRoster(id) }
            return .ready(cli, AgentCLI.Context(store: store, roster: roster, me: me, catalog: try AgentCLI.catalog()))
        } catch {
            throw LocalUIError.from(error)
        }
    }

    /// The context of a page that needs an identity; otherwise a redirect or a waiting page.
    func readyContext() throws -> (AgentCLI, AgentCLI.Context) {
        switch try readiness() {
        case .ready(let cli, let ctx): return (cli, ctx)
        case .needsEnrollment: throw Redirect(location: "/inscription")
        case .waitingForRoster: throw Redirect(location: "/")
        }
    }

    /// Thrown by a page that must send the browser elsewhere.
    struct Redirect: Error { let location: String }

    static func identityLine(_ me: Roster.Evaluator) -> String {
        "\(me.firstName) \(me.lastName.uppercased()) (\(me.id))"
    }

    static func templateTitle(_ template: Template) -> String {
        "\(template.diploma) \(template.epreuve) — \(template.title)"
    }

    // MARK: - Home: my commissions

    func homePage(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let screen = try exclusive { () -> Screen? in
            switch try readiness() {
            case .needsEnrollment:
                return nil
            case .waitingForRoster(let id):
                let main = """
                    <h1>Mes commissions</h1>
                    <p class="notice" role="status">Cet ordinateur est inscrit pour \(esc(id)). La liste de vos commissions et de vos candidats arrive à la première synchronisation avec le serveur de l'académie : gardez cette page ouverte, ou utilisez « Synchroniser maintenant ».</p>
                    """
                return Screen(title: "Mes commissions", main: main, identity: id, current: "/", indicator: try indicator())
            case .ready(_, let ctx):
                return Screen(title: "Mes commissions", main: try commissionsHTML(ctx), identity: LocalUI.identityLine(ctx.me),
                              current: "/", indicator: try indicator())
            }
        }
        guard let screen else { return redirect("/inscription") }
        return show(screen)
    }

    func commissionsHTML(_ ctx: AgentCLI.Context) throws -> String {
        let me = ctx.me
        let school = me.establishment.flatMap { ctx.roster.establishment($0) }.map { " — \(esc($0.name)), \(esc($0.city))" } ?? ""
        var html = """
            <h1>Mes commissions</h1>
            <p class="lead">Vous êtes \(esc(me.firstName)) \(esc(me.lastName.uppercased())) (\(esc(me.id))), \(esc(AgentCLI.roleLabel(me.role)))\(school).</p>
            """
        let commissions = ctx.roster.commissions(of: me.id)
        if commissions.isEmpty {
            html += "<p class=\"notice\">Vous ne siégez dans aucune commission.</p>"
        }
        let grids = try ctx.store.gridIDs()
        for commission in commissions {
            let template = ctx.catalog[commission.template]
            let state = try GridLoader.sessionState(commission.session, in: ctx.store.db)
            let heading = template.map(LocalUI.templateTitle) ?? commission.template
            let members = commission.members.map { esc(ctx.roster.displayName($0)) }.joined(separator: ", ")
            html += """
                <section class="commission" aria-labelledby="cm-\(esc(commission.id))">
                <h2 id="cm-\(esc(commission.id))">\(esc(heading))</h2>
                <p class="sub">Session \(esc(commission.session)) (\(esc(state.label))) · commission \(esc(commission.id)) · membres : \(members)</p>
                <table class="list">
                <caption class="sr">Candidats de la commission \(esc(commission.id))</caption>
                <thead><tr><th scope="col">N°</th><th scope="col">Candidat</th><th scope="col">Conformité</th><th scope="col">Statut</th><th scope="col">Grilles</th></tr></thead>
                <tbody>
                """
            let candidates = ctx.roster.candidates(in: commission.id)
            for candidate in candidates {
                let mine = grids.filter { $0.candidate == candidate.number && $0.template == commission.template && $0.session == commission.session }
                let conformity = try GridLoader.conformity(session: commission.session, candidate: candidate.number, template: commission.template, in: ctx.store.db)
                let views = try mine.filter { ctx.catalog[$0.template] != nil }.map { try ctx.store.gridView($0, catalog: ctx.catalog) }
                let status = CandidateStatus.of(conformity: conformity, grids: views)
                let conflicts = views.reduce(0) { $0 + $1.conflicts.count }
                html += """
                    <tr><td>\(esc(candidate.number))</td>
                    <th scope="row"><a href="/candidat?n=\(urlQuery(candidate.number))">\(esc(candidate.lastName.uppercased())) \(esc(candidate.firstName))</a></th>
                    <td>\(esc(conformity?.mention ?? (conformity == nil ? "non renseignée" : "conforme")))</td>
                    <td><span class="badge st-\(status.rawValue)">\(esc(status.label))</span>\(conflicts > 0 ? " <span class=\"badge st-conflict\">\(conflicts) conflit(s)</span>" : "")</td>
                    <td>\(mine.count)</td></tr>
                    """
            }
            if candidates.isEmpty {
                html += "<tr><td colspan=\"5\">Aucun candidat inscrit.</td></tr>"
            }
            html += "</tbody></table></section>"
        }
        return html
    }

    // MARK: - One candidate

    func candidatePage(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let number = try input.required("n", "Le numéro du candidat")
        let screen = try exclusive { () -> Screen in
            let (_, ctx) = try readyContext()
            guard let candidate = ctx.roster.candidate(number) else {
                throw LocalUIError.notFound("Candidat inconnu « \(number) » : il ne figure pas dans la liste de vos commissions.")
            }
            return Screen(title: "\(candidate.lastName.uppercased()) \(candidate.firstName)", main: try candidateHTML(candidate, ctx),
                          identity: LocalUI.identityLine(ctx.me), current: nil, indicator: try indicator())
        }
        return show(screen)
    }

    func candidateHTML(_ candidate: Roster.Candidate, _ ctx: AgentCLI.Context) throws -> String {
        let all = try ctx.store.gridIDs().filter { $0.candidate == candidate.number }
        let school = ctx.roster.establishment(candidate.establishment).map { " — \(esc($0.name)) (\(esc($0.uai)))" } ?? ""
        var sections = ""
        var statuses: [CandidateStatus] = []
        for commission in ctx.roster.registrations(of: candidate.number).compactMap({ ctx.roster.commission($0.commission) }) {
            guard let template = ctx.catalog[commission.template] else { continue }
            let ids = all.filter { $0.template == commission.template && $0.session == commission.session }
            let views = try ids.map { try ctx.store.gridView($0, catalog: ctx.catalog) }
            let conformity = try GridLoader.conformity(session: commission.session, candidate: candidate.number, template: commission.template, in: ctx.store.db)
            let state = try GridLoader.sessionState(commission.session, in: ctx.store.db)
            let status = CandidateStatus.of(conformity: conformity, grids: views)
            statuses.append(status)
            let members = commission.members.map { esc(ctx.roster.displayName($0)) }.joined(separator: ", ")
            let key = "\(commission.template)-\(commission.session)"
            sections += """
                <section class="registration" aria-labelledby="reg-\(esc(key))">
                <h2 id="reg-\(esc(key))">\(esc(LocalUI.templateTitle(template))) <span class="sub">session \(esc(commission.session)) (\(esc(state.label)))</span></h2>
                <p>Commission \(esc(commission.id)) : \(members). Statut : <span class="badge st-\(status.rawValue)">\(esc(status.label))</span></p>
                \(conformityHTML(candidate: candidate.number, commission: commission, conformity: conformity))
                """
            for situation in template.situations {
                sections += situationHTML(situation, template: template, candidate: candidate.number, commission: commission, views: views)
            }
            sections += "</section>"
        }
        if sections.isEmpty { sections = "<p class=\"notice\">Ce candidat n'est inscrit à aucune épreuve.</p>" }
        let overall = CandidateStatus.combined(statuses)
        return """
            <nav class="crumbs" aria-label="Fil d'Ariane"><a href="/">Mes commissions</a> › Candidat</nav>
            <h1>\(esc(candidate.lastName.uppercased())) \(esc(candidate.firstName)) <span class="sub">n° \(esc(candidate.number))\(school)</span></h1>
            <p>Statut : <span class="badge st-\(overall.rawValue)">\(esc(overall.label))</span> · stage : \(candidate.internshipWeeks) semaine(s)</p>
            \(sections)
            """
    }

    func conformityHTML(candidate: String, commission: Roster.Commission, conformity: Conformity?) -> String {
        let id = "conf-\(commission.template)-\(commission.session)"
        let choices: [(String, String)] = [("ok", "conforme")] + Conformity.allCases.filter(\.isNonConforming).map { ($0.rawValue, $0.label) }
            + [("absent", Conformity.absent.label)]
        let current = conformity.map { $0 == .conforming ? "ok" : $0.rawValue }
        let options = choices.map { value, label in
            "<option value=\"\(value)\"\(current == value ? " selected" : "")>\(esc(label))</option>"
        }.joined()
        return """
            <h3>Contrôle de conformité (annexe V-8)</h3>
            <p>Actuellement : <strong>\(esc(conformity?.label ?? "non renseignée"))</strong></p>
            <form class="inline" method="post" action="/api/conformity" data-api="/api/conformity" data-after="reload" novalidate>
            \(csrfField)<input type="hidden" name="back" value="/candidat?n=\(esc(urlQuery(candidate)))">
            <input type="hidden" name="candidate" value="\(esc(candidate))"><input type="hidden" name="template" value="\(esc(commission.template))"><input type="hidden" name="session" value="\(esc(commission.session))">
            <label for="\(esc(id))">Conformité du dossier</label>
            <select id="\(esc(id))" name="value"><option value="">— choisir —</option>\(options)</select>
            <button type="submit">Enregistrer la conformité</button>
            <p class="form-msg" role="status"></p>
            </form>
            """
    }

    /// The grids of one situation for a candidate: the interviews of a multiple situation (with the
    /// progression table), or the one grid, with the button that opens it.
    func situationHTML(_ situation: Template.Situation, template: Template, candidate: String, commission: Roster.Commission, views: [GridView]) -> String {
        let hidden = """
            \(csrfField)<input type="hidden" name="back" value="/candidat?n=\(esc(urlQuery(candidate)))">
            <input type="hidden" name="candidate" value="\(esc(candidate))"><input type="hidden" name="template" value="\(esc(template.id))">
            <input type="hidden" name="session" value="\(esc(commission.session))"><input type="hidden" name="situation" value="\(esc(situation.id))">
            """
        let heading = situation.multiple ? "\(situation.label) — entretiens « au fil de l'eau »" : situation.id == "final" ? "\(situation.label) (\(template.form))" : situation.label
        var html = "<h3>\(esc(heading))</h3>"
        if situation.multiple {
            let interviews = views.filter { $0.id.situationKind == situation.id && $0.value(GridField.status)?.stringValue != "deleted" }
                .sorted { ($0.value(GridField.date)?.stringValue ?? "", $0.id.entity) < ($1.value(GridField.date)?.stringValue ?? "", $1.id.entity) }
            if interviews.isEmpty {
                html += "<p>Aucun entretien.</p>"
            } else {
                html += "<ol class=\"grids\">" + interviews.enumerated().map { index, view in
                    "<li><a href=\"/grille?id=\(esc(urlQuery(view.id.entity)))\">\(esc(situation.id))\(index + 1) — \(esc(view.value(GridField.date)?.stringValue ?? "sans date"))</a> — \(esc(GridView.statusLabel(view.status)))</li>"
                }.joined() + "</ol>"
                html += progressionHTML(interviews, situation: situation, template: template)
            }
            html += """
                <form class="inline" method="post" action="/api/grid/new" data-api="/api/grid/new" data-after="navigate" novalidate>
                \(hidden)<button type="submit">Nouvel entretien (\(esc(situation.label)))</button><p class="form-msg" role="status"></p>
                </form>
                """
            return html
        }
        if let view = views.first(where: { $0.id.situation == situation.id }) {
            var facts = [GridView.statusLabel(view.status)]
            if let option = view.option { facts.append("option : " + (template.block(option)?.label ?? option)) }
            if let note = view.note { facts.append("note proposée : \(GridRules.formatNote(halfPoints: note))/20") }
            if let harmonised = view.harmonisation { facts.append("note harmonisée : \(GridRules.formatNote(halfPoints: harmonised.note))/20") }
            if !view.conflicts.isEmpty { facts.append("\(view.conflicts.count) conflit(s)") }
            html += "<p><a class=\"button\" href=\"/grille?id=\(esc(urlQuery(view.id.entity)))\">Ouvrir : \(esc(situation.label))</a> — \(esc(facts.joined(separator: " · ")))</p>"
            return html
        }
        let options = template.optionBlocks(in: situation)
        var extra = ""
        if !options.isEmpty {
            let id = "opt-new-\(template.id)-\(situation.id)"
            extra += "<label for=\"\(esc(id))\">Option</label><select id=\"\(esc(id))\" name=\"option\"><option value=\"\">\(situation.id == "final" ? "— reprise de la situation B —" : "— plus tard —")</option>"
                + options.map { "<option value=\"\(esc($0))\">\(esc(template.block($0)?.label ?? $0))</option>" }.joined() + "</select>"
        }
        if situation.id == "final" && template.situations.count > 1 {
            let id = "prefill-\(template.id)-\(commission.session)"
            extra += "<span class=\"check\"><input type=\"checkbox\" id=\"\(esc(id))\" name=\"prefill\" checked><label for=\"\(esc(id))\">Pré-remplir avec les derniers niveaux des entretiens et de la simulation (à confirmer)</label></span>"
        }
        html += """
            <form class="inline" method="post" action="/api/grid/new" data-api="/api/grid/new" data-after="navigate" novalidate>
            \(hidden)\(extra)<button type="submit">Ouvrir la grille (\(esc(situation.label)))</button><p class="form-msg" role="status"></p>
            </form>
            """
        return html
    }

    /// A1…An: the level reached at each interview, criterion by criterion, in date order.
    func progressionHTML(_ interviews: [GridView], situation: Template.Situation, template: Template) -> String {
        let head = interviews.enumerated().map { index, view in
            "<th scope=\"col\"><a href=\"/grille?id=\(esc(urlQuery(view.id.entity)))\">\(esc(situation.id))\(index + 1)</a><span class=\"sub\">\(esc(view.value(GridField.date)?.stringValue ?? "sans date"))</span></th>"
        }.joined()
        let rows = template.criteria(for: situation).map { criterion in
            let cells = interviews.map { view -> String in
                let level = view.levels[criterion.id]
                return "<td class=\"lv-\(esc(level ?? "none"))\">\(esc(level ?? "—"))</td>"
            }.joined()
            return "<tr><th scope=\"row\"><span class=\"cid\">\(esc(criterion.id))</span> \(esc(criterion.label))</th>\(cells)</tr>"
        }.joined()
        return """
            <table class="progress">
            <caption>Progression : niveau atteint à chaque entretien, critère par critère</caption>
            <thead><tr><th scope="col">Critère</th>\(head)</tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            """
    }

    // MARK: - Enrollment

    func enrollPage(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let screen = try exclusive { () -> Screen in
            let cli = try makeCLI()
            let store = try cli.openStore()
            let server = try store.setting(LocalStore.SyncKey.serverURL)
            let token = try LocalStore.readToken(directory: options.dataDirectory)
            let enrolled = server != nil && token != nil
            let evaluator = try store.setting(LocalStore.SyncKey.evaluator)
            let academy = try store.setting(LocalStore.SyncKey.academy)
            let handImported = try store.setting(LocalStore.SyncKey.rosterSource) == "file"
            let form = """
                <form id="enroll-form" class="stack" method="post" action="/api/enroll" data-api="/api/enroll" data-after="navigate" novalidate>
                \(csrfField)<input type="hidden" name="back" value="/">
                <div class="field"><label for="server">Adresse du serveur de l'académie</label>
                <input id="server" name="server" type="url" inputmode="url" autocomplete="url" spellcheck="false" aria-describedby="server-help" value="\(esc(server ?? ""))" placeholder="https://grille.ac-exemple.fr">
                <p class="help" id="server-help">Par exemple https://grille.ac-exemple.fr (donnée par votre coordonnateur).</p></div>
                <div class="field"><label for="code">Code d'inscription</label>
                <input id="code" name="code" autocomplete="one-time-code" spellcheck="false" aria-describedby="code-help">
                <p class="help" id="code-help">Le code à usage unique remis par votre coordonnateur.</p></div>
                <div class="check"><input type="checkbox" id="reset" name="reset"\(enrolled || handImported ? "" : "")><label for="reset">Repartir d'un dossier vide : vos saisies locales sont d'abord enregistrées dans un fichier du dossier de données (liste importée à la main, autre évaluateur, autre serveur).</label></div>
                <button type="submit">Inscrire cet ordinateur</button>
                <p class="form-msg" role="status" aria-live="polite"></p>
                </form>
                """
            var main = "<h1>Inscription de cet ordinateur</h1>"
            if enrolled {
                main += """
                    <p class="notice">Cet ordinateur (\(esc(store.deviceID))) est inscrit auprès de <strong>\(esc(server ?? ""))</strong>\(academy.map { " (\(esc($0)))" } ?? "") pour \(esc(evaluator ?? "?")).</p>
                    <details><summary>Inscrire de nouveau (autre serveur ou autre évaluateur)</summary>\(form)</details>
                    """
            } else {
                main += """
                    <p class="lead">Pour recevoir vos commissions et envoyer vos saisies, inscrivez cet ordinateur auprès du serveur de l'académie avec le code que vous a remis votre coordonnateur. Ensuite, Grille fonctionne aussi sans réseau : vos saisies partent dès que le serveur répond.</p>
                    \(handImported ? "<p class=\"notice\">Ce dossier contient une liste importée à la main : cochez « Repartir d'un dossier vide » pour l'inscrire.</p>" : "")
                    \(form)
                    """
            }
            return Screen(title: "Inscription", main: main, identity: evaluator, current: "/inscription", indicator: try indicator())
        }
        return show(screen)
    }

    // MARK: - USB key and receipts

    func transferPage(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let screen = try exclusive { () -> Screen in
            let cli = try makeCLI()
            let store = try cli.openStore()
            let pending = try store.pendingCount()
            let refused = try store.rejectedEvents()
            let notices = try store.recentNotices()
            let evaluator = try store.setting(LocalStore.SyncKey.evaluator)
            let folders = usbFolders()
            let stamp = AgentCLI.formatTime(options.clock.nowMilliseconds())
                .replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: ":", with: "").replacingOccurrences(of: " ", with: "-")
            let suggestion = (folders.first ?? (options.environment["HOME"] ?? NSHomeDirectory())) + "/grille-saisies-\(store.deviceID)-\(stamp).json"
            let list = folders.isEmpty ? "aucune clé USB détectée (dossiers /media et /run/media)" : folders.map(esc).joined(separator: ", ")
            var refusedRows = refused.map { stored -> String in
                let value = stored.event.value == .null ? "(effacé)" : (stored.event.value.stringValue ?? stored.event.value.canonicalString)
                return "<tr><td>\(esc(stored.event.entity))</td><td>\(esc(stored.event.field))</td><td>\(esc(value))</td><td>\(esc(stored.quarantined ? "en quarantaine" : "refusée"))</td><td>\(esc(stored.rejectReason ?? stored.rejectCode ?? ""))</td></tr>"
            }.joined()
            if refusedRows.isEmpty { refusedRows = "<tr><td colspan=\"5\">Aucune saisie refusée.</td></tr>" }
            let noticeItems = notices.map { "<li>\(esc(AgentCLI.formatTime($0.at))) — \(esc($0.message))</li>" }.joined()
            let main = """
                <h1>Clé USB et reçus</h1>
                <p class="lead">Sans réseau avant une échéance : exportez vos saisies en attente dans un fichier, faites-le importer sur le serveur par votre coordonnateur, puis appliquez ici le fichier de reçus qu'il vous rend.</p>
                <section aria-labelledby="export-h"><h2 id="export-h">1. Exporter les saisies en attente</h2>
                <p>\(pending == 0 ? "Aucune saisie en attente d'envoi." : "\(pending) saisie(s) en attente d'envoi.")</p>
                <form class="stack" method="post" action="/api/export" data-api="/api/export" data-after="reload" novalidate>
                \(csrfField)<input type="hidden" name="back" value="/transferts">
                <div class="field"><label for="export-path">Fichier à écrire (sur la clé USB)</label>
                <input id="export-path" name="path" spellcheck="false" value="\(esc(suggestion))" aria-describedby="export-help">
                <p class="help" id="export-help">Clés détectées : \(list). Un fichier existant n'est jamais remplacé.</p></div>
                <button type="submit">Exporter les saisies</button><p class="form-msg" role="status"></p>
                </form></section>
                <section aria-labelledby="import-h"><h2 id="import-h">2. Appliquer le fichier de reçus</h2>
                <form class="stack" method="post" action="/api/import-receipts" data-api="/api/import-receipts" data-after="reload" novalidate>
                \(csrfField)<input type="hidden" name="back" value="/transferts">
                <div class="field"><label for="receipts-file">Fichier de reçus rendu par le serveur</label>
                <input type="file" id="receipts-file" accept=".json,application/json" data-into="content"></div>
                <div class="field"><label for="receipts-path">ou chemin du fichier sur cet ordinateur</label>
                <input id="receipts-path" name="path" spellcheck="false"></div>
                <button type="submit">Appliquer les reçus</button><p class="form-msg" role="status"></p>
                </form></section>
                <section id="refusees" aria-labelledby="refused-h"><h2 id="refused-h">Saisies refusées par le serveur</h2>
                <table class="list"><thead><tr><th scope="col">Grille</th><th scope="col">Champ</th><th scope="col">Valeur</th><th scope="col">État</th><th scope="col">Motif</th></tr></thead>
                <tbody>\(refusedRows)</tbody></table></section>
                \(noticeItems.isEmpty ? "" : "<section aria-labelledby=\"notices-h\"><h2 id=\"notices-h\">Messages de la synchronisation</h2><ul>\(noticeItems)</ul></section>")
                """
            return Screen(title: "Clé USB et reçus", main: main, identity: evaluator, current: "/transferts", indicator: try indicator())
        }
        return show(screen)
    }

    /// Mounted removable media of the current user (`/media/<user>/…`, `/run/media/<user>/…`).
    func usbFolders() -> [String] {
        let user = options.environment["USER"] ?? NSUserName()
        var folders: [String] = []
        for base in ["/media/\(user)", "/run/media/\(user)"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
            folders += names.sorted().map { base + "/" + $0 }
        }
        return folders
    }
}

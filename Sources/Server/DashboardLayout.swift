import Foundation
import Shared

/// The page shell of the dashboard: skip link, header with the signed-in coordinator and the logout
/// button, navigation, the session and establishment filter, and the main content. Every text written
/// into the HTML goes through `HTML.escape`.
enum DashboardLayout {
    /// The navigation, in order: path, label.
    static let navigation: [(path: String, label: String)] = [
        ("/dashboard", "Vue d'ensemble"),
        ("/dashboard/criteria", "Critères"),
        ("/dashboard/notes", "Notes"),
        ("/dashboard/profiles", "Profils et notes"),
        ("/dashboard/grids", "Grilles"),
        ("/dashboard/quarantine", "Quarantaine"),
        ("/dashboard/devices", "Ordinateurs"),
        ("/dashboard/session", "Session"),
        ("/dashboard/exports", "Exports"),
    ]

    static func esc(_ text: String?) -> String { HTML.escape(text ?? "") }

    static func html(_ body: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(body.utf8))
    }

    static func head(_ title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="fr">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title)) — Grille</title>
        <link rel="stylesheet" href="/dashboard/static/dashboard.css">
        <script src="/dashboard/static/dashboard.js" defer></script>
        </head>
        """
    }

    /// A full page for a signed-in coordinator. `filters` adds the session (and, for an academy coordinator,
    /// establishment) selector; `notice` is a confirmation shown above the content.
    static func page(_ context: DashboardContext, title: String, active: String, filters: Bool = true, notice: String? = nil,
                     error: String? = nil, status: Int = 200, body: String) -> HTTPResponse {
        let user = context.user
        let role = user.isAcademy ? "coordonnateur académique"
            : "coordonnateur, \(context.store.roster.establishment(user.evaluator.establishment ?? "")?.name ?? user.evaluator.establishment ?? "")"
        let links = navigation.map { item in
            let current = item.path == active ? " aria-current=\"page\"" : ""
            return "<li><a href=\"\(item.path)\(esc(carriedQuery(context, for: item.path)))\"\(current)>\(esc(item.label))</a></li>"
        }.joined(separator: "\n")
        var main = "<h1>\(esc(title))</h1>\n"
        if filters { main += filterForm(context, action: active) }
        if let notice { main += "<p class=\"notice\" role=\"status\">\(esc(notice))</p>\n" }
        if let error { main += "<p class=\"error\" role=\"alert\">\(esc(error))</p>\n" }
        main += body
        return html("""
            \(head(title))
            <body>
            <a class="skip" href="#contenu">Aller au contenu</a>
            <header class="top">
            <p class="brand"><span class="logo" aria-hidden="true">▦</span> Grille — \(esc(context.store.academy))</p>
            <div class="who"><span>\(esc(user.name)) <span class="role">(\(esc(role)))</span></span>
            <form method="post" action="/dashboard/logout"><input type="hidden" name="csrf" value="\(esc(context.session.csrf))"><button type="submit" class="link">Se déconnecter</button></form></div>
            </header>
            <nav class="main-nav" aria-label="Tableau de bord"><ul>
            \(links)
            </ul></nav>
            <main id="contenu" tabindex="-1">
            \(main)
            </main>
            <footer><p>Grille \(esc(Grille.version)) — tableau de bord des coordonnateurs. Les statistiques sont une aide : les niveaux ne sont pas pondérés et le jury décide de la note.</p></footer>
            </body>
            </html>
            """, status: status)
    }

    /// `?session=…&establishment=…` carried from page to page.
    static func carriedQuery(_ context: DashboardContext, for path: String) -> String {
        var items: [String] = []
        if let session = context.query["session"], session.count == 4, session.allSatisfy(\.isNumber) { items.append("session=\(session)") }
        if context.user.isAcademy, let uai = context.query["establishment"], !uai.isEmpty, context.store.roster.establishment(uai) != nil {
            items.append("establishment=\(uai)")
        }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }

    static func filterForm(_ context: DashboardContext, action: String) -> String {
        let session = context.selectedSession
        let sessions = Set(context.sessions + [session]).sorted(by: >)
        let options = sessions.map { "<option value=\"\(esc($0))\"\($0 == session ? " selected" : "")>\(esc($0))</option>" }.joined()
        var establishment = ""
        if context.user.isAcademy {
            let chosen = context.query["establishment"] ?? ""
            let items = ["<option value=\"\"\(chosen.isEmpty ? " selected" : "")>Toute l'académie</option>"]
                + context.store.roster.establishments.map { e in
                    "<option value=\"\(esc(e.uai))\"\(chosen == e.uai ? " selected" : "")>\(esc(e.name)) (\(esc(e.uai)))</option>"
                }
            establishment = "<label for=\"f-establishment\">Établissement</label> <select id=\"f-establishment\" name=\"establishment\">\(items.joined())</select>"
        }
        return """
            <form class="filters" method="get" action="\(esc(action))">
            <label for="f-session">Session</label> <select id="f-session" name="session">\(options)</select>
            \(establishment)
            <button type="submit">Afficher</button>
            </form>

            """
    }

    /// A page for an error met by a signed-in coordinator (refused access, a refused harmonisation…).
    static func errorPage(_ context: DashboardContext, status: Int, message: String) -> HTTPResponse {
        let title = switch status {
        case 403: "Accès refusé"
        case 404: "Introuvable"
        case 400..<500: "Demande refusée"
        default: "Erreur"
        }
        return Dashboard.secured(page(context, title: title, active: "", filters: false, error: message, status: status,
                                      body: "<p><a href=\"/dashboard\">Revenir à la vue d'ensemble</a></p>"))
    }

    /// An error page without the coordinator's shell (no valid session, a refused form).
    static func bareErrorPage(status: Int, title: String, message: String, link: (String, String)) -> HTTPResponse {
        html("""
            \(head(title))
            <body class="bare">
            <main id="contenu">
            <h1>\(esc(title))</h1>
            <p class="error" role="alert">\(esc(message))</p>
            <p><a href="\(esc(link.0))">\(esc(link.1))</a></p>
            </main>
            </body>
            </html>
            """, status: status)
    }

    static func loginPage(academy: String, token: String, account: String, error: String?, notice: String?, status: Int) -> HTTPResponse {
        let message = error.map { "<p class=\"error\" role=\"alert\" id=\"login-error\">\(esc($0))</p>" }
            ?? notice.map { "<p class=\"notice\" role=\"status\">\(esc($0))</p>" } ?? ""
        let described = error == nil ? "" : " aria-describedby=\"login-error\""
        return html("""
            \(head("Connexion"))
            <body class="bare">
            <main id="contenu" class="login">
            <p class="brand"><span class="logo" aria-hidden="true">▦</span> Grille — \(esc(academy))</p>
            <h1>Tableau de bord des coordonnateurs</h1>
            \(message)
            <form method="post" action="/dashboard/login" class="stack">
            <input type="hidden" name="login_csrf" value="\(esc(token))">
            <label for="account">Identifiant ou adresse e-mail</label>
            <input id="account" name="account" type="text" autocomplete="username" required autofocus value="\(esc(account))"\(described)>
            <label for="password">Mot de passe</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required\(described)>
            <button type="submit">Se connecter</button>
            </form>
            <p class="hint">Mot de passe défini par l'administrateur du serveur : <code>grille-server coordinator password IDENTIFIANT</code>.</p>
            </main>
            </body>
            </html>
            """, status: status)
    }

    // MARK: - Formatting

    static func personName(_ evaluator: Roster.Evaluator?) -> String {
        guard let evaluator else { return "?" }
        return "\(evaluator.lastName.uppercased()) \(evaluator.firstName)"
    }

    static func candidateName(_ candidate: Roster.Candidate?) -> String {
        guard let candidate else { return "?" }
        return "\(candidate.lastName.uppercased()) \(candidate.firstName)"
    }

    static func note(_ halfPoints: Int?) -> String {
        halfPoints.map { GridRules.formatNote(halfPoints: $0) } ?? "—"
    }

    static func decimal(_ value: Double?, digits: Int = 2) -> String {
        value.map { Fixed.french($0, digits: digits) } ?? "—"
    }

    static func time(_ ms: Int64?, _ store: ServerStore) -> String {
        ms.map { ServerCLI.formatTime($0, timezone: store.timezone) } ?? "jamais"
    }

    static func establishmentName(_ uai: String?, _ store: ServerStore) -> String {
        guard let uai else { return "—" }
        return store.roster.establishment(uai).map { "\($0.name) (\($0.uai))" } ?? uai
    }

    /// `<a href="/dashboard/grid?id=…">`, the entity percent-encoded for the query.
    static func gridLink(_ entity: String, label: String) -> String {
        "<a href=\"/dashboard/grid?id=\(esc(queryEncode(entity)))\">\(esc(label))</a>"
    }

    static func queryEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static func hidden(_ name: String, _ value: String) -> String {
        "<input type=\"hidden\" name=\"\(esc(name))\" value=\"\(esc(value))\">"
    }
}

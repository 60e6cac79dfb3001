import Foundation
import Shared

/// The coordinators' dashboard, served by `grille-server` under `/dashboard` (docs/ARCHITECTURE.md, « Web interfaces »): French
/// HTML pages drawn by the server (tables and SVG charts, no framework, no external asset), a few JSON
/// endpoints, and the forms that run the same store functions as the CLI (`harmonise`, `revoke`,
/// `session deliberate|publish`).
///
/// Every page and endpoint but the login page and the static files needs a session cookie; an
/// establishment coordinator sees and acts on their establishment only, an academy coordinator on the
/// whole academy. Every POST carries the session's CSRF token.
enum Dashboard {
    static let sessionCookie = "grille_session"
    static let loginCookie = "grille_login"
    static let staticFiles = ["dashboard.css", "dashboard.js"]

    static func register(into router: inout Router, core: ServerCore) {
        router.add("GET", "/dashboard/login") { request in
            try core.run { store in try loginPage(request, store: store) }
        }
        router.add("POST", "/dashboard/login") { request in
            try core.run { store in try login(request, store: store) }
        }
        router.add("POST", "/dashboard/logout") { request in
            try action(request, core: core) { context in
                try context.store.logout(token: context.token)
                var response = redirect("/dashboard/login?out=1")
                response.headers.append(("Set-Cookie", cookie(sessionCookie, "", path: "/dashboard", secure: request.isSecure, maxAge: 0)))
                return response
            }
        }
        for name in staticFiles {
            router.add("GET", "/dashboard/static/\(name)") { _ in
                guard let data = WebAssets.dashboard(name), let type = WebAssets.contentType(of: name) else {
                    throw ServerError(404, "not_found", "Fichier introuvable.")
                }
                return HTTPResponse(status: 200, headers: [("Content-Type", type), ("Cache-Control", "no-cache"),
                                                           ("X-Content-Type-Options", "nosniff")], body: Array(data))
            }
        }
        let pages: [(String, @Sendable (DashboardContext) throws -> HTTPResponse)] = [
            ("/dashboard", overviewPage),
            ("/dashboard/criteria", criteriaPage),
            ("/dashboard/notes", notesPage),
            ("/dashboard/profiles", profilesPage),
            ("/dashboard/grids", gridsPage),
            ("/dashboard/grid", gridPage),
            ("/dashboard/grid/print", printGrid),
            ("/dashboard/quarantine", quarantinePage),
            ("/dashboard/devices", devicesPage),
            ("/dashboard/session", sessionPage),
            ("/dashboard/exports", exportsPage),
            ("/dashboard/export.csv", exportCSV),
            ("/dashboard/api/report", reportJSON),
            ("/dashboard/api/grid", gridJSON),
        ]
        for (path, handler) in pages {
            router.add("GET", path) { request in try page(request, core: core, handler) }
        }
        router.add("GET", "/dashboard/") { _ in redirect("/dashboard") }
        let actions: [(String, @Sendable (DashboardContext) throws -> HTTPResponse)] = [
            ("/dashboard/harmonise", harmonise),
            ("/dashboard/revoke", revoke),
            ("/dashboard/session", changeSession),
        ]
        for (path, handler) in actions {
            router.add("POST", path) { request in try action(request, core: core, handler) }
        }
    }

    // MARK: - Authentication around every page and action

    /// Runs a GET page or endpoint for a signed-in coordinator; without a valid session a page redirects to
    /// the login page and a JSON endpoint answers 401.
    static func page(_ request: HTTPRequest, core: ServerCore, _ handler: (DashboardContext) throws -> HTTPResponse) throws -> HTTPResponse {
        let isAPI = request.path.hasPrefix("/dashboard/api/")
        return try core.run { store in
            guard let context = try context(request, store: store) else {
                if isAPI { return secured(.error(status: 401, code: "unauthenticated", message: "Connexion nécessaire : ouvrez /dashboard/login.")) }
                return redirect("/dashboard/login")
            }
            return try respond(context, isAPI: isAPI) { try handler(context) }
        }
    }

    /// Runs a POST for a signed-in coordinator whose form carries the session's CSRF token and, when the
    /// browser sends `Origin`, comes from this server.
    static func action(_ request: HTTPRequest, core: ServerCore, _ handler: (DashboardContext) throws -> HTTPResponse) throws -> HTTPResponse {
        try core.run { store in
            guard var context = try context(request, store: store) else {
                return htmlError(status: 401, title: "Connexion nécessaire", message: "Votre session a expiré : reconnectez-vous, puis recommencez.",
                                 link: ("/dashboard/login", "Se connecter"))
            }
            guard sameOrigin(request) else {
                return htmlError(status: 403, title: "Requête refusée", message: "Cette requête ne vient pas du tableau de bord : rien n'a été modifié.")
            }
            guard let form = DashboardRequest.form(request) else {
                return htmlError(status: 400, title: "Formulaire illisible", message: "Le formulaire envoyé est illisible : rechargez la page et recommencez.")
            }
            context.form = form
            guard let sent = form["csrf"], ConstantTime.equals(Array(sent.utf8), Array(context.session.csrf.utf8)) else {
                return htmlError(status: 403, title: "Jeton de sécurité invalide",
                                 message: "Le jeton de sécurité du formulaire est absent ou périmé : rien n'a été modifié. Rechargez la page, puis recommencez.")
            }
            return try respond(context, isAPI: false) { try handler(context) }
        }
    }

    /// Turns the errors of a page into French pages (or the JSON error document for an endpoint).
    private static func respond(_ context: DashboardContext, isAPI: Bool, _ body: () throws -> HTTPResponse) throws -> HTTPResponse {
        do {
            return secured(try body())
        } catch let error as ServerError {
            if isAPI { return secured(.error(status: error.status, code: error.code, message: error.message)) }
            return DashboardLayout.errorPage(context, status: error.status, message: error.message)
        }
    }

    static func context(_ request: HTTPRequest, store: ServerStore) throws -> DashboardContext? {
        guard let token = DashboardRequest.cookies(request)[sessionCookie], let session = try store.webSession(token: token),
              let evaluator = store.roster.evaluator(session.evaluator) else { return nil }
        return DashboardContext(request: request, store: store, user: DashboardUser(evaluator: evaluator), session: session, token: token)
    }

    /// False when the browser says the request comes from another origin (`Origin` whose host differs
    /// from `Host`); requests without `Origin` rely on the CSRF token and `SameSite=Strict` alone.
    static func sameOrigin(_ request: HTTPRequest) -> Bool {
        guard let origin = request.header("Origin") else { return true }
        if origin == "null" { return request.isNullOriginFromSameOrigin }
        guard let host = request.header("Host"), let url = URL(string: origin), let originHost = url.host else { return false }
        let originAuthority = originHost + (url.port.map { ":\($0)" } ?? "")
        return originAuthority.lowercased() == host.lowercased()
    }

    // MARK: - Login

    static func loginPage(_ request: HTTPRequest, store: ServerStore) throws -> HTTPResponse {
        if try context(request, store: store) != nil { return redirect("/dashboard") }
        let notice = request.query["out"] == "1" ? "Vous êtes déconnecté." : nil
        return loginForm(request, store: store, status: 200, error: nil, notice: notice)
    }

    static func loginForm(_ request: HTTPRequest, store: ServerStore, status: Int, error: String?, notice: String?, account: String = "",
                          retryAfter: Int64? = nil) -> HTTPResponse {
        let token = SecureRandom.hex(32)
        var response = DashboardLayout.loginPage(academy: store.academy, token: token, account: account, error: error, notice: notice, status: status)
        response.headers.append(("Set-Cookie", cookie(loginCookie, token, path: "/dashboard/login", secure: request.isSecure, maxAge: 3_600)))
        if let retryAfter { response.headers.append(("Retry-After", String(retryAfter))) }
        return secured(response)
    }

    static func login(_ request: HTTPRequest, store: ServerStore) throws -> HTTPResponse {
        guard sameOrigin(request) else {
            return htmlError(status: 403, title: "Requête refusée", message: "Cette requête ne vient pas du tableau de bord.")
        }
        guard let form = DashboardRequest.form(request) else {
            return loginForm(request, store: store, status: 400, error: "Formulaire illisible : recommencez.", notice: nil)
        }
        let account = form["account"] ?? ""
        guard let sent = form["login_csrf"], let expected = DashboardRequest.cookies(request)[loginCookie],
              ConstantTime.equals(Array(sent.utf8), Array(expected.utf8)) else {
            return loginForm(request, store: store, status: 403, error: "La page de connexion a expiré (ou les cookies sont bloqués) : recommencez.",
                             notice: nil, account: account)
        }
        switch try store.login(account, password: form["password"] ?? "", address: DashboardRequest.clientAddress(request)) {
        case .success(let token, _):
            var response = redirect("/dashboard")
            response.headers.append(("Set-Cookie", cookie(sessionCookie, token, path: "/dashboard", secure: request.isSecure, maxAge: nil)))
            response.headers.append(("Set-Cookie", cookie(loginCookie, "", path: "/dashboard/login", secure: request.isSecure, maxAge: 0)))
            return response
        case .invalid:
            return loginForm(request, store: store, status: 401, error: "Identifiant ou mot de passe incorrect.", notice: nil, account: account)
        case .locked(let until):
            let seconds = max(1, (until - store.clock.nowMilliseconds() + 999) / 1_000)
            let minutes = (seconds + 59) / 60
            return loginForm(request, store: store, status: 429,
                             error: "Trop de tentatives de connexion : réessayez dans \(minutes) minute\(minutes > 1 ? "s" : "") (ou demandez à l'administrateur de redéfinir votre mot de passe).",
                             notice: nil, account: account, retryAfter: seconds)
        }
    }

    // MARK: - Responses

    /// `Set-Cookie` for the dashboard: always HttpOnly and SameSite=Strict, Secure when the request came
    /// over TLS (directly or through a trusted proxy, `serve --trust-proxy`).
    static func cookie(_ name: String, _ value: String, path: String, secure: Bool, maxAge: Int?) -> String {
        var parts = ["\(name)=\(value)", "Path=\(path)", "HttpOnly", "SameSite=Strict"]
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        if secure { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }

    /// Adds the headers every dashboard answer carries: no caching, no framing, no sniffing, a strict
    /// content security policy (only the dashboard's own CSS and JS), no referrer.
    static func secured(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        let headers: [(String, String)] = [
            ("Cache-Control", "no-store"),
            ("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "no-referrer"),
        ]
        for (name, value) in headers where response.header(name) == nil { response.headers.append((name, value)) }
        return response
    }

    static func redirect(_ location: String) -> HTTPResponse {
        secured(HTTPResponse(status: 303, headers: [("Location", location), ("Content-Type", "text/plain; charset=utf-8")],
                             body: Array("Voir \(location)".utf8)))
    }

    static func htmlError(status: Int, title: String, message: String, link: (String, String)? = nil) -> HTTPResponse {
        secured(DashboardLayout.bareErrorPage(status: status, title: title, message: message, link: link ?? ("/dashboard", "Revenir au tableau de bord")))
    }
}

/// A signed-in coordinator and what they may see.
struct DashboardUser: Sendable {
    let evaluator: Roster.Evaluator

    var id: String { evaluator.id }
    var isAcademy: Bool { evaluator.role == .academy }
    /// The establishment the coordinator is limited to; nil for an academy coordinator.
    var establishment: String? { isAcademy ? nil : evaluator.establishment }
    var name: String { "\(evaluator.firstName) \(evaluator.lastName.uppercased())" }

    func mayAccess(establishment uai: String?) -> Bool {
        isAcademy || (uai != nil && uai == evaluator.establishment)
    }

    /// Whether the coordinator may see a grid or conformity entity: the candidate's commission (or, when the
    /// roster no longer registers the candidate, the candidate) belongs to their establishment.
    func mayAccess(entity: String, store: ServerStore) -> Bool {
        if isAcademy || store.isCoordinator(id, of: entity) { return true }
        guard let grid = GridID(entity: entity) else { return false }
        return mayAccess(establishment: store.roster.candidate(grid.candidate)?.establishment)
    }
}

/// One request of a signed-in coordinator, with the store (on its queue).
struct DashboardContext {
    let request: HTTPRequest
    let store: ServerStore
    let user: DashboardUser
    let session: WebSession
    let token: String
    var form: [String: String] = [:]

    var query: [String: String] { request.query }

    /// The session shown: `?session=`, else the roster's latest session.
    var selectedSession: String {
        if let session = query["session"], session.count == 4, session.allSatisfy(\.isNumber) { return session }
        return ReportBuilder.defaultSession(store.roster) ?? ServerStore.today(clock: store.clock, timezone: store.timezone).prefix(4).description
    }

    /// The establishment the pages are limited to: a coordinator's own; for an academy coordinator
    /// `?establishment=` or nil (the whole academy). A coordinator naming another establishment is refused.
    func selectedEstablishment() throws -> String? {
        let asked = query["establishment"].flatMap { $0.isEmpty ? nil : $0 }
        if user.isAcademy {
            if let asked, store.roster.establishment(asked) == nil { throw ServerError(404, "unknown_establishment", "Établissement inconnu « \(asked) ».") }
            return asked
        }
        if let asked, asked != user.evaluator.establishment {
            throw ServerError(403, "forbidden", "Vous coordonnez l'établissement \(user.evaluator.establishment ?? "?") : les données d'un autre établissement ne vous sont pas accessibles.")
        }
        return user.evaluator.establishment
    }

    /// The academy report of the selected session and establishment (the report helper's one code path).
    func report(_ parts: Set<AcademyReport.Part>) throws -> AcademyReport {
        try ReportBuilder(store: store).build(ReportBuilder.Scope(session: selectedSession, establishment: try selectedEstablishment()), parts: parts)
    }

    /// The sessions the roster knows, latest first.
    var sessions: [String] { Array(Set(store.roster.commissions.map(\.session))).sorted(by: >) }
}

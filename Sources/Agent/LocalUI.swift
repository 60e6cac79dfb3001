import Foundation
import Shared
import Synchronization

/// The evaluator's web interface, served by `grille-agent serve` on 127.0.0.1 only, in French, with no
/// framework and no external asset (the HTML is rendered here, CSS and JS ship in `Resources/web/agent`).
///
/// Security model (a page of any site the browser visits must not read or write the evaluator's grids):
/// - the socket listens on 127.0.0.1 only, and every request must name this listener in `Host`
///   (`127.0.0.1:PORT` or `localhost:PORT`), which defeats DNS rebinding;
/// - the URL printed at launch carries a per-launch secret; opening it sets an `HttpOnly`,
///   `SameSite=Strict` session cookie and redirects to a URL without it; every other page needs the cookie;
/// - every write is a POST carrying the CSRF token of the session (header `X-Grille-CSRF` or form field
///   `csrf`), from this origin (`Origin`, `Sec-Fetch-Site` checked when present); no CORS header is ever sent;
/// - a strict Content-Security-Policy (scripts and styles from this origin only, no inline code), no referrer.
///
/// Writes go through the CLI's own commands (`AgentCLI.dispatch` with the same words a user would type),
/// so every check of `grid set`, `grid sign`, `enroll`… applies unchanged and nothing is half-written: a
/// refusal is a 4xx with the CLI's French message. Store access is serialised: one request at a time opens
/// its own `LocalStore`, which never leaves that request. The background sync (`LocalUISync`) has its own.
final class LocalUI: Sendable {
    struct Options: Sendable {
        var dataDirectory: String
        var clock: any WallClock = SystemWallClock()
        var environment: [String: String] = [:]
        var services: AgentCLI.Services = .production
        /// Seconds between two background syncs.
        var interval = 60
        /// Where the background sync prints its lines.
        var sink = AgentCLI.OutputSink.console
    }

    /// Largest request body: a receipts file sent from the browser, in a JSON string.
    static let maxBodyBytes = 16 << 20
    /// Largest body of every other write.
    static let maxFormBytes = 256 << 10

    let options: Options
    /// The secret of the URL printed at launch (`/?k=…`).
    let secret: String
    /// The session cookie's value, set when the secret URL is opened.
    let sessionToken: String
    /// The token every write carries, derived from the session.
    let csrfToken: String
    let sync: LocalUISync
    private let boundPort = Mutex(0)
    /// Serialises everything that opens the store on behalf of a request.
    private let work = Mutex(())

    init(options: Options, secret: String = SecureRandom.hex(16), sessionToken: String = SecureRandom.hex(32)) {
        self.options = options
        self.secret = secret
        self.sessionToken = sessionToken
        csrfToken = Hex.encode(HMACSHA256.authenticate(Array("grille-agent csrf".utf8), key: Array(sessionToken.utf8)))
        sync = LocalUISync(dataDirectory: options.dataDirectory, interval: options.interval, clock: options.clock,
                           services: options.services, sink: options.sink)
    }

    /// Records the port the server listens on: `Host` and `Origin` must name it.
    func bind(port: Int) {
        boundPort.withLock { $0 = port }
    }

    var port: Int { boundPort.withLock { $0 } }

    /// The URL to open: it carries the secret, which the first page trades for the session cookie.
    var launchURL: String { "http://127.0.0.1:\(port)/?k=\(secret)" }

    var cookieName: String { "grille_agent_\(port)" }

    // MARK: - Requests

    typealias Route = @Sendable (LocalUI, HTTPRequest, Input) throws -> HTTPResponse

    static let getRoutes: [String: Route] = [
        "/": { ui, request, input in try ui.homePage(request, input) },
        "/inscription": { ui, request, input in try ui.enrollPage(request, input) },
        "/candidat": { ui, request, input in try ui.candidatePage(request, input) },
        "/grille": { ui, request, input in try ui.gridPage(request, input) },
        "/impression": { ui, request, input in try ui.printPage(request, input) },
        "/transferts": { ui, request, input in try ui.transferPage(request, input) },
        "/api/status": { ui, _, _ in try ui.statusResponse() },
    ]

    static let postRoutes: [String: Route] = [
        "/api/enroll": { ui, request, input in try ui.enroll(request, input) },
        "/api/sync": { ui, request, input in try ui.syncNow(request, input) },
        "/api/grid/new": { ui, request, input in try ui.gridNew(request, input) },
        "/api/grid/level": { ui, request, input in try ui.gridLevel(request, input) },
        "/api/grid/comment": { ui, request, input in try ui.gridComment(request, input) },
        "/api/grid/field": { ui, request, input in try ui.gridField(request, input) },
        "/api/grid/fdap": { ui, request, input in try ui.gridFdap(request, input) },
        "/api/grid/confirm": { ui, request, input in try ui.gridConfirm(request, input) },
        "/api/grid/sign": { ui, request, input in try ui.gridSign(request, input) },
        "/api/grid/resolve": { ui, request, input in try ui.gridResolve(request, input) },
        "/api/conformity": { ui, request, input in try ui.conformitySet(request, input) },
        "/api/export": { ui, request, input in try ui.exportEvents(request, input) },
        "/api/import-receipts": { ui, request, input in try ui.importReceipts(request, input) },
    ]

    /// Every response gets these: no script or style from elsewhere, no framing, no referrer (the launch
    /// URL holds the secret), nothing cached.
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Cache-Control", "no-store"),
    ]

    /// The HTTP server's handler.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        var response = route(request)
        response.headers += Self.securityHeaders
        return response
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        var wantsJSON = request.path.hasPrefix("/api/")
        do {
            try checkHost(request)
            if request.path.hasPrefix("/static/") { return try asset(request) }
            if request.path == "/", request.method == "GET" || request.method == "HEAD", let key = request.query["k"] {
                return try enter(key)
            }
            try checkSession(request)
            let isPost = request.method == "POST"
            let routes = isPost ? Self.postRoutes : Self.getRoutes
            guard let handler = routes[request.path] ?? (request.method == "HEAD" ? Self.getRoutes[request.path] : nil) else {
                if Self.getRoutes[request.path] != nil || Self.postRoutes[request.path] != nil {
                    var response = HTTPResponse.error(status: 405, code: "method_not_allowed", message: "Méthode \(request.method) non prise en charge ici.")
                    response.headers.append(("Allow", Self.postRoutes[request.path] != nil ? "POST" : "GET, HEAD"))
                    return response
                }
                throw LocalUIError.notFound("Page inconnue : \(request.path). Revenez à l'accueil.")
            }
            let input: Input
            if isPost {
                try checkOrigin(request)
                input = try Input(body: request)
                wantsJSON = !input.isForm
                try checkCSRF(request, input)
            } else {
                input = Input(query: request.query)
            }
            let response = try handler(self, request, input)
            if isPost && input.isForm && (200..<300).contains(response.status) {
                // A form posted without JavaScript: back to the page it came from.
                return HTTPResponse(status: 303, headers: [("Location", input.back)])
            }
            return response
        } catch let redirect as Redirect {
            return self.redirect(redirect.location)
        } catch {
            let failure = LocalUIError.from(error)
            if wantsJSON { return .error(status: failure.status, code: failure.code, message: failure.message) }
            return errorPage(failure, request: request)
        }
    }

    // MARK: - Security checks

    /// DNS-rebinding protection: a page of another site resolved to 127.0.0.1 still sends its own host name.
    func checkHost(_ request: HTTPRequest) throws {
        let port = self.port
        let hosts = request.headers.filter { HTTPFieldName.equal($0.name, "Host") }
        guard port > 0, hosts.count == 1 else { throw hostRefusal(port) }
        let host = hosts[0].value.lowercased()
        guard host == "127.0.0.1:\(port)" || host == "localhost:\(port)" else { throw hostRefusal(port) }
    }

    private func hostRefusal(_ port: Int) -> LocalUIError {
        .forbidden("bad_host", "Adresse refusée : l'interface de Grille ne répond qu'à http://127.0.0.1:\(port)/ (ou http://localhost:\(port)/), sur cet ordinateur.")
    }

    /// The launch URL: trades the secret for the session cookie, then redirects to a URL without it.
    func enter(_ key: String) throws -> HTTPResponse {
        guard ConstantTime.equals(Array(key.utf8), Array(secret.utf8)) else {
            throw LocalUIError.forbidden("bad_key", "Adresse d'accès invalide ou périmée : ouvrez l'adresse affichée par « grille-agent serve » dans le terminal (elle change à chaque lancement).")
        }
        return HTTPResponse(status: 303, headers: [
            ("Location", "/"),
            ("Set-Cookie", "\(cookieName)=\(sessionToken); Path=/; HttpOnly; SameSite=Strict"),
        ])
    }

    func checkSession(_ request: HTTPRequest) throws {
        let name = cookieName
        for header in request.headers where HTTPFieldName.equal(header.name, "Cookie") {
            for pair in header.value.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, parts[0] == name, ConstantTime.equals(Array(parts[1].utf8), Array(sessionToken.utf8)) {
                    return
                }
            }
        }
        throw LocalUIError.noSession
    }

    /// A write must come from a page of this origin: `Origin` and `Sec-Fetch-Site`, when the browser sends
    /// them, must say so (the CSRF token is checked as well).
    func checkOrigin(_ request: HTTPRequest) throws {
        let port = self.port
        let site = request.header("Sec-Fetch-Site")?.lowercased()
        if let origin = request.header("Origin")?.lowercased(), !request.isNullOriginFromSameOrigin,
           origin != "http://127.0.0.1:\(port)" && origin != "http://localhost:\(port)" {
            throw LocalUIError.forbidden("bad_origin", "Écriture refusée : la demande vient d'une autre page que l'interface de Grille.")
        }
        if let site, site != "same-origin" && site != "none" {
            throw LocalUIError.forbidden("bad_origin", "Écriture refusée : la demande vient d'une autre page que l'interface de Grille.")
        }
    }

    func checkCSRF(_ request: HTTPRequest, _ input: Input) throws {
        guard let token = request.header("X-Grille-CSRF") ?? input.values["csrf"],
              ConstantTime.equals(Array(token.utf8), Array(csrfToken.utf8)) else {
            throw LocalUIError.forbidden("bad_csrf", "Écriture refusée : jeton de sécurité absent ou périmé. Rechargez la page, puis recommencez.")
        }
    }

    // MARK: - Static files

    func asset(_ request: HTTPRequest) throws -> HTTPResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.error(status: 405, code: "method_not_allowed", message: "Méthode \(request.method) non prise en charge ici.")
            response.headers.append(("Allow", "GET, HEAD"))
            return response
        }
        let name = String(request.path.dropFirst("/static/".count))
        guard let type = WebAssets.contentType(of: name), let data = WebAssets.agent(name) else {
            throw LocalUIError.notFound("Fichier inconnu.")
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", type)], body: [UInt8](data))
    }

    // MARK: - Running CLI code

    /// Runs `body` while no other request touches the store.
    func exclusive<T>(_ body: () throws -> T) throws -> T {
        try work.withLock { _ in try body() }
    }

    /// A CLI for this data directory with `words` after `--data`, printing into `sink`.
    func makeCLI(_ words: [String] = [], sink: AgentCLI.OutputSink = CapturedLines.discard) throws -> AgentCLI {
        let arguments: CommandLineArguments
        do {
            arguments = try CommandLineArguments(["--data=\(options.dataDirectory)"] + words, valued: AgentCLI.valued, flags: AgentCLI.flagNames)
        } catch {
            throw LocalUIError.badRequest(error.message)
        }
        return AgentCLI(arguments: arguments, clock: options.clock, environment: options.environment, sink: sink, services: options.services)
    }

    /// Runs one CLI command exactly as a user would type it (user values after `--` or as `--name=value`,
    /// so none is read as an option) and returns what it printed; its refusal becomes a 4xx.
    @discardableResult
    func command(_ words: [String]) throws -> CommandOutput {
        let lines = CapturedLines()
        let cli = try makeCLI(words, sink: lines.sink)
        do {
            try cli.dispatch()
        } catch {
            throw LocalUIError.from(error)
        }
        return lines.output
    }

    /// The store, roster, identity and catalog, as every grid command sees them.
    func context() throws -> (AgentCLI, AgentCLI.Context) {
        let cli = try makeCLI()
        do {
            return (cli, try cli.context())
        } catch {
            throw LocalUIError.from(error)
        }
    }
}

/// What a CLI command printed.
struct CommandOutput: Sendable {
    let out: [String]
    let err: [String]

    /// Everything, as one French message.
    var message: String { (out + err).joined(separator: "\n") }
}

/// Collects the lines a CLI command prints.
final class CapturedLines: Sendable {
    private let lines = Mutex<(out: [String], err: [String])>(([], []))

    static let discard = AgentCLI.OutputSink(out: { _ in }, err: { _ in })

    var sink: AgentCLI.OutputSink {
        AgentCLI.OutputSink(out: { [self] text in lines.withLock { $0.out.append(text) } },
                            err: { [self] text in lines.withLock { $0.err.append(text) } })
    }

    var output: CommandOutput {
        lines.withLock { CommandOutput(out: $0.out, err: $0.err) }
    }
}

/// Case-insensitive header names (RFC 9110 §5.1), for the few lookups `HTTPRequest.header` does not cover.
enum HTTPFieldName {
    static func equal(_ a: String, _ b: String) -> Bool {
        a.lowercased() == b.lowercased()
    }
}

import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import Shared

/// The evaluator's web interface, through its request handler (no socket): the security checks of every
/// request, the pages, and writes that go through the CLI's own checks. The browser tests
/// (Tests/Browser/browser_test.py) drive the same interface in headless Chromium.
@Suite struct LocalUITests {
    static let port = 40_123
    static let grid = "grid/ndrc-e4-ccf/2026/02614001/final"

    /// A data folder with the demo roster and the identity of ev-0101, and the interface bound to `port`.
    static func make(_ tmp: TemporaryDirectory) throws -> LocalUI {
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0101")
        try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        let ui = LocalUI(options: .init(dataDirectory: agent.data), secret: "s3cr3t", sessionToken: "session-token")
        ui.bind(port: port)
        return ui
    }

    static func request(_ method: String, _ target: String, host: String = "127.0.0.1:\(port)", cookie: Bool = true,
                        headers: [(String, String)] = [], json: JSONValue? = nil, form: String? = nil, ui: LocalUI) -> HTTPRequest {
        let parts = target.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                query[kv[0]] = kv.count == 2 ? kv[1].removingPercentEncoding : ""
            }
        }
        var all: [(name: String, value: String)] = [("Host", host)]
        if cookie { all.append(("Cookie", "other=1; \(ui.cookieName)=session-token")) }
        var body: [UInt8] = []
        if let json {
            all.append(("Content-Type", "application/json"))
            body = json.canonicalBytes()
        } else if let form {
            all.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = Array(form.utf8)
        }
        all += headers.map { (name: $0.0, value: $0.1) }
        return HTTPRequest(method: method, target: target, path: String(parts[0]), query: query, headers: all, body: body)
    }

    static func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    static func level(_ ui: LocalUI, _ criterion: String) throws -> String? {
        let store = try LocalStore(directory: ui.options.dataDirectory, clock: SystemWallClock())
        let view = try store.gridView(try #require(GridID(entity: grid)), catalog: try AgentCLI.catalog())
        return view.levels[criterion]
    }

    @Test func theLaunchSecretSetsAStrictHttpOnlyCookieAndRedirectsWithoutIt() throws {
        let tmp = TemporaryDirectory("ui-launch")
        defer { tmp.remove() }
        let ui = try Self.make(tmp)
        let response = ui.handle(Self.request("GET", "/?k=s3cr3t", cookie: false, ui: ui))
        #expect(response.status == 303)
        #expect(response.headers.contains { $0.0 == "Location" && $0.1 == "/" })
        let cookie = try #require(response.headers.first { $0.0 == "Set-Cookie" }?.1)
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("session-token"))
        #expect(ui.handle(Self.request("GET", "/?k=wrong", cookie: false, ui: ui)).status == 403)
        // Without the cookie, no page shows any data.
        let refused = ui.handle(Self.request("GET", "/candidat?n=02614001", cookie: false, ui: ui))
        #expect(refused.status == 403)
        #expect(!Self.text(refused).contains("MOREAU") && !Self.text(refused).contains("Moreau"))
    }

    @Test(arguments: ["evil.example:40123", "127.0.0.1:1", "localhost", "127.0.0.1.nip.io:40123", ""])
    func aForeignHostIsRefused(_ host: String) throws {
        let tmp = TemporaryDirectory("ui-host")
        defer { tmp.remove() }
        let ui = try Self.make(tmp)
        let response = ui.handle(Self.request("GET", "/", host: host, ui: ui))
        #expect(response.status == 403)
        #expect(Self.text(response).contains("127.0.0.1:\(Self.port)"))
        #expect(ui.handle(Self.request("GET", "/", host: "localhost:\(Self.port)", ui: ui)).status == 200)
    }

    @Test func everyPageCarriesTheSecurityHeadersAndTheSyncIndicator() throws {
        let tmp = TemporaryDirectory("ui-pages")
        defer { tmp.remove() }
        let ui = try Self.make(tmp)
        for target in ["/", "/candidat?n=02614001", "/grille?id=\(Self.grid)", "/impression?id=\(Self.grid)", "/transferts", "/inscription"] {
            let response = ui.handle(Self.request("GET", target, ui: ui))
            #expect(response.status == 200, "\(target) → \(response.status): \(Self.text(response).prefix(300))")
            let csp = response.headers.first { $0.0 == "Content-Security-Policy" }?.1 ?? ""
            #expect(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "\(target)")
            #expect(!response.headers.contains { $0.0.lowercased().hasPrefix("access-control-") }, "no CORS on \(target)")
            let html = Self.text(response)
            #expect(html.contains("id=\"sync\"") && html.contains("Synchroniser maintenant"), "indicator on \(target)")
            #expect(html.contains("lang=\"fr\""))
        }
        let grid = Self.text(ui.handle(Self.request("GET", "/grille?id=\(Self.grid)", ui: ui)))
        for criterion in ["prospection.1", "evenement.3", "information.2"] {
            #expect(grid.contains("id=\"row-\(criterion)\""))
        }
        // The other option's criteria are shown, greyed, and cannot be ticked.
        let other = try #require(grid.range(of: "id=\"row-negociation.1\""))
        let row = String(grid[other.lowerBound...]).components(separatedBy: "</tr>")[0]
        #expect(row.components(separatedBy: " disabled").count - 1 == 4, "the four levels of negociation.1 are disabled")
        #expect(grid.contains("data-key=\"4\""), "levels 1 to 4 on the keyboard")
    }

    @Test func staticFilesAreServedAndNothingElse() throws {
        let tmp = TemporaryDirectory("ui-static")
        defer { tmp.remove() }
        let ui = try Self.make(tmp)
        for name in ["app.css", "app.js"] {
            let response = ui.handle(Self.request("GET", "/static/\(name)", cookie: false, ui: ui))
            #expect(response.status == 200 && response.body.count > 1_000, "\(name)")
        }
        for name in ["../app.css", "..%2fapp.css", "app.css%00", "README.md", "app.swift", "dashboard.css", ".app.css", "app..css"] {
            #expect(ui.handle(Self.request("GET", "/static/\(name)", ui: ui)).status == 404, "\(name)")
        }
        #expect(ui.handle(Self.request("POST", "/static/app.css", json: [:], ui: ui)).status == 405)
    }

    @Test func aTickIsSavedAtOnceThroughTheCLIChecks() throws {
        let tmp = TemporaryDirectory("ui-tick")
        defer { tmp.remove() }
        let ui = try Self.make(tmp)
        let csrf = [("X-Grille-CSRF", ui.csrfToken), ("Origin", "http://127.0.0.1:\(Self.port)"), ("Sec-Fetch-Site", "same-origin")]
        let ok = ui.handle(Self.request("POST", "/api/grid/level", headers: csrf,
                                        json: ["grid": .string(Self.grid), "criterion": "prospection.1", "level": "TS"], ui: ui))
        #expect(ok.status == 200, "\(Self.text(ok))")
        let answer = try JSONValue.parse(ok.body)
        #expect(answer["ok"] == .bool(true))
        #expect(answer["grid"]?["missing"]?.arrayValue?.contains(.string("prospection.1")) == false)
        #expect(try Self.level(ui, "prospection.1") == "TS")

        // Refused by the CLI's own checks, each with its French message, nothing written.
        let refusals: [(JSONValue, String)] = [
            (["grid": .string(Self.grid), "criterion": "prospection.1", "level": "XX"], "Niveau"),
            (["grid": .string(Self.grid), "criterion": "negociation.1", "level": "S"], "option"),
            (["grid": .string(Self.grid), "criterion": "inconnu.9", "level": "S"], "Critère"),
            (["grid": "grid/ndrc-e4-ccf/2026/99999999/final", "criterion": "prospection.1", "level": "S"], "Grille"),
            (["grid": "pas-une-grille", "criterion": "prospection.1", "level": "S"], "Grille invalide"),
            (["grid": .string(Self.grid), "level": "S"], "Le critère manque"),
        ]
        for (body, words) in refusals {
            let response = ui.handle(Self.request("POST", "/api/grid/level", headers: csrf, json: body, ui: ui))
            #expect((400..<500).contains(response.status), "\(body) → \(response.status)")
            let message = try JSONValue.parse(response.body)["error"]?["message"]?.stringValue ?? ""
            #expect(message.localizedCaseInsensitiveContains(words), "\(body) → « \(message) »")
        }
        let note = ui.handle(Self.request("POST", "/api/grid/field", headers: csrf,
                                          json: ["grid": .string(Self.grid), "field": "note", "value": "20,5"], ui: ui))
        #expect(note.status == 400 || note.status == 422, "\(Self.text(note))")
        #expect(try Self.level(ui, "prospection.1") == "TS")
    }

    @Test func writesWithoutTokenFromAnotherOriginOrMalformedAreRefused() throws {
        let tmp = TemporaryDirectory("ui-csrf")
        defer { tmp.remove() }
        let ui = try Self.make(tmp)
        let body: JSONValue = ["grid": .string(Self.grid), "criterion": "prospection.1", "level": "TI"]
        let token = ("X-Grille-CSRF", ui.csrfToken)
        let cases: [(HTTPRequest, Int, String)] = [
            (Self.request("POST", "/api/grid/level", json: body, ui: ui), 403, "no CSRF token"),
            (Self.request("POST", "/api/grid/level", headers: [("X-Grille-CSRF", "0000")], json: body, ui: ui), 403, "wrong token"),
            (Self.request("POST", "/api/grid/level", cookie: false, headers: [token], json: body, ui: ui), 403, "no session cookie"),
            (Self.request("POST", "/api/grid/level", headers: [token, ("Origin", "http://evil.example")], json: body, ui: ui), 403, "foreign Origin"),
            (Self.request("POST", "/api/grid/level", headers: [token, ("Sec-Fetch-Site", "cross-site")], json: body, ui: ui), 403, "cross-site fetch"),
            (Self.request("POST", "/api/grid/level", headers: [token, ("Origin", "null")], json: body, ui: ui), 403, "Origin null alone"),
            (Self.request("POST", "/api/grid/level", headers: [token, ("Origin", "null"), ("Sec-Fetch-Site", "cross-site")], json: body, ui: ui), 403, "Origin null, cross-site"),
            (Self.request("POST", "/api/grid/level", form: "grid=\(Self.grid)&criterion=prospection.1&level=TI", ui: ui), 403, "form without token"),
            (Self.request("POST", "/api/grid/level", headers: [token, ("Content-Type", "text/plain")], ui: ui), 415, "text/plain"),
            (Self.request("POST", "/api/grid/level", headers: [token], json: ["grid": .array([])], ui: ui), 400, "not text"),
            (Self.request("POST", "/api/grid/level", headers: [token], json: ["grid": .string(Self.grid), "criterion": "prospection.1\u{0}", "level": "TI"], ui: ui), 400, "control character"),
            (Self.request("GET", "/api/grid/level", ui: ui), 405, "GET on a write"),
            (Self.request("GET", "/nulle-part", ui: ui), 404, "unknown page"),
        ]
        for (request, status, what) in cases {
            let response = ui.handle(request)
            #expect(response.status == status, "\(what): \(response.status) \(Self.text(response).prefix(200))")
        }
        var raw = Self.request("POST", "/api/grid/level", headers: [token], ui: ui)
        raw.headers.append((name: "Content-Type", value: "application/json"))
        raw.body = Array("{\"grid\":".utf8)
        #expect(ui.handle(raw).status == 400, "truncated JSON")
        #expect(try Self.level(ui, "prospection.1") == nil, "nothing written by any refused request")
        // A form posted with the token (no JavaScript) is accepted and redirected back.
        let form = ui.handle(Self.request("POST", "/api/grid/level", form: "csrf=\(ui.csrfToken)&grid=\(Self.grid)&criterion=prospection.1&level=S&back=/grille", ui: ui))
        #expect(form.status == 303)
        #expect(try Self.level(ui, "prospection.1") == "S")
        // The same form as a browser posts it under `Referrer-Policy: no-referrer`.
        let nullOrigin = ui.handle(Self.request("POST", "/api/grid/level", headers: [("Origin", "null"), ("Sec-Fetch-Site", "same-origin")],
                                                form: "csrf=\(ui.csrfToken)&grid=\(Self.grid)&criterion=prospection.1&level=TS", ui: ui))
        #expect(nullOrigin.status == 303)
        #expect(try Self.level(ui, "prospection.1") == "TS")
        let away = ui.handle(Self.request("POST", "/api/grid/level", form: "csrf=\(ui.csrfToken)&grid=\(Self.grid)&criterion=prospection.2&level=S&back=//evil.example/", ui: ui))
        #expect(away.headers.contains { $0.0 == "Location" && $0.1 == "/" }, "never redirected off the site")
    }

    @Test func userTextIsShownVerbatimAndEscaped() throws {
        let tmp = TemporaryDirectory("ui-escape")
        defer { tmp.remove() }
        let ui = try Self.make(tmp)
        let csrf = [("X-Grille-CSRF", ui.csrfToken)]
        let text = "<script>alert('x')</script> ' OR 1=1; DROP TABLE events; -- « é »"
        let response = ui.handle(Self.request("POST", "/api/grid/comment", headers: csrf,
                                              json: ["grid": .string(Self.grid), "criterion": "prospection.2", "text": .string(text)], ui: ui))
        #expect(response.status == 200, "\(Self.text(response))")
        let html = Self.text(ui.handle(Self.request("GET", "/grille?id=\(Self.grid)", ui: ui)))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &#39; OR 1=1; DROP TABLE events; -- « é »"))
        #expect(!html.contains("<script>alert"))
    }
}

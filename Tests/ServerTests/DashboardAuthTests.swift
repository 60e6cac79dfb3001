import Foundation
import Testing
import TestSupport
@testable import Server
@testable import Shared

/// A browser stand-in for the dashboard's tests: calls the server's router in process, keeps cookies
/// like a browser (name → value, dropped on `Max-Age=0`), and reads forms' hidden tokens.
struct DashboardBrowser {
    let router: Router
    var cookies: [String: String] = [:]
    var address = "192.0.2.10:40000"
    var secure = false
    var origin: String?
    /// `Sec-Fetch-Site`, as a browser sends it.
    var fetchSite: String?
    /// Every `Set-Cookie` line received, in order.
    var setCookies: [String] = []

    init(_ fixture: DashboardFixture) {
        router = fixture.router
    }

    func request(_ method: String, _ target: String, body: [UInt8] = [], extra: [(String, String)] = []) -> HTTPRequest {
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
                if query[kv[0]] == nil { query[kv[0]] = kv.count > 1 ? kv[1] : "" }
            }
        }
        var headers: [(name: String, value: String)] = [("Host", "grille.example")]
        if !cookies.isEmpty { headers.append(("Cookie", cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))) }
        if method == "POST" { headers.append(("Content-Type", "application/x-www-form-urlencoded")) }
        if let origin { headers.append(("Origin", origin)) }
        if let fetchSite { headers.append(("Sec-Fetch-Site", fetchSite)) }
        headers += extra.map { (name: $0.0, value: $0.1) }
        var request = HTTPRequest(method: method, target: target, path: parts[0], query: query, headers: headers, body: body, remoteAddress: address)
        request.isSecure = secure
        return request
    }

    mutating func send(_ request: HTTPRequest) -> HTTPResponse {
        let response = router.handle(request)
        for (name, value) in response.headers where name.lowercased() == "set-cookie" {
            setCookies.append(value)
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            if value.contains("Max-Age=0") { cookies[pair[0]] = nil } else { cookies[pair[0]] = pair.count > 1 ? pair[1] : "" }
        }
        return response
    }

    mutating func get(_ target: String) -> HTTPResponse {
        send(request("GET", target))
    }

    mutating func post(_ target: String, _ form: [(String, String)]) -> HTTPResponse {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.~")
        let body = form.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
        return send(request("POST", target, body: Array(body.utf8)))
    }

    /// Opens the login page, then posts the form with its token.
    @discardableResult
    mutating func login(_ account: String, _ password: String) -> HTTPResponse {
        let page = get("/dashboard/login")
        let token = DashboardBrowser.hidden("login_csrf", in: page) ?? ""
        return post("/dashboard/login", [("login_csrf", token), ("account", account), ("password", password)])
    }

    /// The session's CSRF token, read from any page's logout form.
    mutating func csrf() -> String {
        DashboardBrowser.hidden("csrf", in: get("/dashboard/session")) ?? ""
    }

    static func hidden(_ name: String, in response: HTTPResponse) -> String? {
        let html = response.text
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }
}

extension HTTPResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    var location: String? { header("Location") }
}

/// The demo academy with passwords for three coordinators (PBKDF2 at 1,000 iterations, for speed) and a
/// router over it.
struct DashboardFixture {
    let base: ServerFixture
    let router: Router
    static let passwords = ["ev-0104": "canuts-coordination-2026", "ev-0107": "arbois-coordination-2026", "ev-0112": "academie-coordination-2026"]

    var store: ServerStore { base.store }
    var clock: ManualClock { base.clock }

    init() throws {
        base = try ServerFixture()
        try base.store.setPasswordIterations(1_000, by: "ev-0112")
        for (id, password) in DashboardFixture.passwords {
            try base.store.setCoordinatorPassword(id, password: password, by: "ev-0112")
        }
        router = ServerRoutes.router(core: ServerCore(store: base.store))
    }

    func remove() { base.tmp.remove() }

    /// A browser signed in as `coordinator`.
    func browser(_ coordinator: String) -> DashboardBrowser {
        var browser = DashboardBrowser(self)
        let answer = browser.login(coordinator, DashboardFixture.passwords[coordinator]!)
        #expect(answer.status == 303, "login \(coordinator): \(answer.status) \(answer.text)")
        return browser
    }

    /// A complete final E4 grid of `candidate` pushed by a member of its commission, with an appreciation
    /// that looks like HTML.
    @discardableResult
    func completeFinal(_ candidate: String, by author: String, note: Int = 28) throws -> String {
        let (device, _) = try deviceOf(author)
        let entity = "grid/ndrc-e4-ccf/2026/\(candidate)/final"
        func event(_ field: String, _ value: JSONValue) -> Event {
            Event(id: SecureRandom.uuid(), entity: entity, field: field, value: value,
                  hlc: HybridLogicalClock(wall: clock.nowMilliseconds(), counter: 0, device: device.id), author: author, prev: [])
        }
        var events = [event("option", "evenement"), event("note", .int(Int64(note))),
                      event("appreciation/A", "Bonne prospection <b>réelle</b> ; DROP TABLE events;")]
        for c in ["prospection.1", "prospection.2", "prospection.3", "prospection.4", "evenement.1", "evenement.2", "evenement.3", "information.1", "information.2"] {
            events.append(event("level/\(c)", "S"))
        }
        let answer = try store.push(PushRequest(events: events), from: device)
        #expect(answer.accepted.count == events.count, "\(answer.rejected)")
        return entity
    }

    /// The device of an evaluator, enrolled on first use.
    func deviceOf(_ evaluator: String) throws -> (Device, String) {
        if let existing = try store.devices().first(where: { $0.evaluator == evaluator && $0.revokedAt == nil }) {
            return (existing, "")
        }
        return try base.device(evaluator)
    }
}

@Suite struct DashboardPasswordTests {
    @Test func passwordsAreSaltedPerUserWithTheIterationsStoredAndCheckedInFull() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        try f.store.setCoordinatorPassword("ev-0111", password: "canuts-coordination-2026", by: "ev-0112")   // ev-0104's password
        let a = try #require(try f.store.credential("ev-0104"))
        let b = try #require(try f.store.credential("ev-0111"))
        #expect(a.salt.count == CoordinatorPolicy.saltBytes)
        #expect(a.salt != b.salt)
        #expect(a.hash != b.hash)
        #expect(a.iterations == 1_000 && b.iterations == 1_000)
        #expect(a.hash == PBKDF2.hmacSHA256(password: Array("canuts-coordination-2026".utf8), salt: a.salt, iterations: 1_000, keyLength: 32))
        #expect(try f.store.verifyPassword("ev-0104", "canuts-coordination-2026"))
        #expect(try !f.store.verifyPassword("ev-0104", "canuts-coordination-2027"))
        #expect(try !f.store.verifyPassword("ev-0104", "canuts-coordination-202"))
        #expect(try !f.store.verifyPassword("ev-0109", "canuts-coordination-2026"))   // no credential
        // Only hex of the salt and the derived key is stored, never the password.
        let row = try #require(try f.store.db.queryOne("SELECT salt, hash FROM coordinator_credentials WHERE evaluator = 'ev-0104'"))
        #expect(!row.string(0).contains("canuts") && !row.string(1).contains("canuts"))
    }

    @Test func productionIterationsAreTheDefaultAndTheSettingIsAcademyOnlyAndBounded() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        #expect(try f.store.passwordIterations() == 210_000)
        #expect(throws: ServerError.self) { try f.store.setPasswordIterations(1_000, by: "ev-0104") }   // an establishment coordinator
        #expect(throws: ServerError.self) { try f.store.setPasswordIterations(999, by: "ev-0112") }
        #expect(throws: ServerError.self) { try f.store.setPasswordIterations(20_000_000, by: "ev-0112") }
        try f.store.setPasswordIterations(5_000, by: "ev-0112")
        #expect(try f.store.passwordIterations() == 5_000)
        #expect(try f.store.meta(CoordinatorPolicy.iterationsKey) == "5000")
    }

    @Test func aLoginUnderALowerCountReDerivesThePasswordWithTheCurrentOne() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        let before = try #require(try f.store.credential("ev-0104"))
        try f.store.setPasswordIterations(2_000, by: "ev-0112")
        #expect(try f.store.verifyPassword("ev-0104", "canuts-coordination-2026"))   // stored count still used
        guard case .success = try f.store.login("ev-0104", password: "canuts-coordination-2026", address: "192.0.2.1") else {
            Issue.record("login refused"); return
        }
        let after = try #require(try f.store.credential("ev-0104"))
        #expect(after.iterations == 2_000)
        #expect(after.salt != before.salt)
        #expect(try f.store.verifyPassword("ev-0104", "canuts-coordination-2026"))
    }

    @Test(arguments: [
        ("ev-0104", "court", "trop court"),
        ("ev-0104", "aaaaaaaaaaaaaaaa", "trop facile"),
        ("ev-0104", "mon-ev-0104-secret", "trop facile"),
        ("ev-0104", "tab\tdans le mot de passe", "caractère de contrôle"),
        ("ev-0101", "une phrase de passe solide", "n'est pas coordonnateur"),
        ("ev-9999", "une phrase de passe solide", "inconnu"),
    ])
    func weakPasswordsAndNonCoordinatorsAreRefusedInFrench(evaluator: String, password: String, message: String) throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        do {
            try f.store.setCoordinatorPassword(evaluator, password: password, by: "ev-0112")
            Issue.record("accepted")
        } catch let error as ServerError {
            #expect(error.message.contains(message), "\(error.message)")
        }
        #expect(try f.store.credential(evaluator) == nil)
    }

    @Test func theCommandReadsOneLineFromStandardInputAndRefusesWeakOnes() throws {
        let tmp = TemporaryDirectory("dashboard-cli")
        defer { tmp.remove() }
        let db = tmp.sub("server.sqlite")
        func cli(_ arguments: [String], stdin: String? = nil) throws -> TestProcess.Result {
            try TestProcess("grille-server", ["--db", db] + arguments, stdin: stdin.map { Data($0.utf8) }).wait(timeout: 60)
        }
        #expect(try cli(["init", "--academy", "Essai"]).status == 0)
        #expect(try cli(["roster", "import", Repository.demoRoster, "--by", "ev-0112"]).status == 0)
        #expect(try cli(["coordinator", "iterations", "1000", "--by", "ev-0112"]).status == 0)
        let weak = try cli(["coordinator", "password", "ev-0104"], stdin: "trop-court\n")
        #expect(weak.status == 1)
        #expect(weak.stderr.contains("Mot de passe trop court"))
        let teacher = try cli(["coordinator", "password", "ev-0101"], stdin: "une phrase de passe solide\n")
        #expect(teacher.status == 1)
        let ok = try cli(["coordinator", "password", "ev-0104"], stdin: "une phrase de passe solide\nligne suivante ignorée\n")
        #expect(ok.status == 0, "\(ok.stderr)")
        let store = try ServerStore(path: db)
        #expect(try store.verifyPassword("ev-0104", "une phrase de passe solide"))
        #expect(try store.credential("ev-0104")?.iterations == 1_000)
        let list = try cli(["coordinator", "list", "--json"])
        let json = try JSONValue.parse(list.stdout)
        #expect(json["iterations"]?.intValue == 1_000)
        #expect(json["coordinators"]?.arrayValue?.first { $0["id"]?.stringValue == "ev-0104" }?["password_set_at"]?.intValue != nil)
    }
}

@Suite struct DashboardLoginTests {
    @Test func aGoodLoginOpensASessionWithAStrictHttpOnlyCookieAndNoSecureFlagOverPlainHTTP() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        var browser = DashboardBrowser(f)
        #expect(browser.get("/dashboard").location == "/dashboard/login")
        let answer = browser.login("ev-0104", "canuts-coordination-2026")
        #expect(answer.status == 303)
        #expect(answer.location == "/dashboard")
        let cookie = try #require(browser.setCookies.last { $0.hasPrefix("grille_session=") })
        #expect(cookie.contains("HttpOnly"))
        #expect(cookie.contains("SameSite=Strict"))
        #expect(cookie.contains("Path=/dashboard"))
        #expect(!cookie.contains("Secure"))
        let page = browser.get("/dashboard")
        #expect(page.status == 200)
        #expect(page.text.contains("Sophie GIRARD"))
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        #expect(page.header("X-Frame-Options") == "DENY")
        #expect(page.header("Cache-Control") == "no-store")
        // Only the token's hash is stored.
        let token = try #require(browser.cookies["grille_session"])
        #expect(try f.store.db.scalarInt("SELECT count(*) FROM web_sessions WHERE token_hash = ?", token) == 0)
        #expect(try f.store.db.scalarInt("SELECT count(*) FROM web_sessions WHERE token_hash = ?", ServerStore.tokenHash(token)) == 1)
    }

    @Test func overTLSBehindATrustedProxyTheCookiesAreSecure() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        var browser = DashboardBrowser(f)
        browser.address = "127.0.0.1:51000"
        // What HTTPServer does with --trust-proxy: the proxy on the loopback says the client spoke HTTPS.
        let page = browser.send(browser.request("GET", "/dashboard/login", extra: [("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.7")]).forwarded())
        let token = try #require(DashboardBrowser.hidden("login_csrf", in: page))
        #expect(browser.setCookies.last?.hasSuffix("; Secure") == true)
        let body = "login_csrf=\(token)&account=ev-0104&password=canuts-coordination-2026"
        let answer = browser.send(browser.request("POST", "/dashboard/login", body: Array(body.utf8),
                                                  extra: [("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.7")]).forwarded())
        #expect(answer.status == 303)
        let cookie = try #require(browser.setCookies.last { $0.hasPrefix("grille_session=") })
        #expect(cookie.hasSuffix("; Secure"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        #expect(try f.store.db.scalarString("SELECT address FROM web_sessions") == "203.0.113.7")
        // A forged X-Forwarded-Proto from a client that is not the local proxy changes nothing.
        var direct = DashboardBrowser(f)
        _ = direct.send(direct.request("GET", "/dashboard/login", extra: [("X-Forwarded-Proto", "https")]).forwarded())
        #expect(direct.setCookies.last?.contains("Secure") == false)
    }

    @Test func aWrongPasswordAnUnknownAccountAndATeacherGetTheSameAnswer() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        for (account, password) in [("ev-0104", "mauvais-mot-de-passe"), ("ev-9999", "canuts-coordination-2026"), ("ev-0101", "canuts-coordination-2026")] {
            var browser = DashboardBrowser(f)
            browser.address = "192.0.2.\(account.suffix(2)):1"
            let answer = browser.login(account, password)
            #expect(answer.status == 401)
            #expect(answer.text.contains("Identifiant ou mot de passe incorrect."))
            #expect(browser.cookies["grille_session"] == nil)
        }
        var byMail = DashboardBrowser(f)
        #expect(byMail.login("Sophie.Girard@demo-academie.fr", "canuts-coordination-2026").status == 303)
    }

    @Test func fiveFailuresLockTheAccountForFifteenMinutesEvenForTheRightPassword() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        for attempt in 1...5 {
            var browser = DashboardBrowser(f)
            browser.address = "198.51.100.\(attempt):1000"   // a different address each time: the account lock alone
            #expect(browser.login("ev-0104", "essai-\(attempt)-incorrect").status == 401)
        }
        var browser = DashboardBrowser(f)
        let locked = browser.login("ev-0104", "canuts-coordination-2026")
        #expect(locked.status == 429)
        #expect(locked.text.contains("Trop de tentatives de connexion : réessayez dans 15 minutes"))
        #expect(locked.header("Retry-After") == "900")
        #expect(browser.cookies["grille_session"] == nil)
        // Another account is not locked.
        #expect(DashboardBrowser(f).withLogin("ev-0107", "arbois-coordination-2026") == 303)
        f.clock.advance(CoordinatorPolicy.lockMilliseconds + 1)
        #expect(browser.login("ev-0104", "canuts-coordination-2026").status == 303)
    }

    @Test func tenFailuresFromOneAddressLockThatAddressForEveryAccount() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        var attacker = DashboardBrowser(f)
        attacker.address = "203.0.113.50:4000"
        for attempt in 1...10 {
            #expect(attacker.login("ev-\(9000 + attempt)", "devine-\(attempt)-peut-etre").status == 401)
        }
        attacker.address = "203.0.113.50:4001"   // another port of the same address
        #expect(attacker.login("ev-0107", "arbois-coordination-2026").status == 429)
        var colleague = DashboardBrowser(f)
        colleague.address = "203.0.113.51:4000"
        #expect(colleague.login("ev-0107", "arbois-coordination-2026").status == 303)
    }

    @Test func aLoginPostWithoutTheLoginPagesTokenOrFromAnotherOriginIsRefused() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        var browser = DashboardBrowser(f)
        let noCookie = browser.post("/dashboard/login", [("login_csrf", "00"), ("account", "ev-0104"), ("password", "canuts-coordination-2026")])
        #expect(noCookie.status == 403)
        #expect(browser.cookies["grille_session"] == nil)
        browser.origin = "https://evil.example"
        #expect(browser.login("ev-0104", "canuts-coordination-2026").status == 403)
        // Under `Referrer-Policy: no-referrer` a browser posts its forms with `Origin: null`:
        // `Sec-Fetch-Site` must then say same-origin.
        var formPoster = DashboardBrowser(f)
        formPoster.origin = "null"
        #expect(formPoster.login("ev-0104", "canuts-coordination-2026").status == 403)
        formPoster.fetchSite = "cross-site"
        #expect(formPoster.login("ev-0104", "canuts-coordination-2026").status == 403)
        formPoster.fetchSite = "same-origin"
        #expect(formPoster.login("ev-0104", "canuts-coordination-2026").status == 303)
        browser.origin = "https://grille.example"
        #expect(browser.login("ev-0104", "canuts-coordination-2026").status == 303)
    }

    @Test func logoutNeedsTheTokenThenEndsTheSession() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        var browser = f.browser("ev-0104")
        #expect(browser.post("/dashboard/logout", []).status == 403)
        #expect(browser.get("/dashboard").status == 200)
        let token = browser.csrf()
        let out = browser.post("/dashboard/logout", [("csrf", token)])
        #expect(out.location == "/dashboard/login?out=1")
        #expect(browser.cookies["grille_session"] == nil)
        #expect(try f.store.db.scalarInt("SELECT count(*) FROM web_sessions") == 0)
        #expect(browser.get("/dashboard").location == "/dashboard/login")
    }

    @Test func sessionsEndAfterTwoIdleHoursAndWhenThePasswordChanges() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        var browser = f.browser("ev-0104")
        f.clock.advance(CoordinatorPolicy.idleMilliseconds - 1_000)
        #expect(browser.get("/dashboard").status == 200)   // and the session is touched
        f.clock.advance(CoordinatorPolicy.idleMilliseconds - 1_000)
        #expect(browser.get("/dashboard").status == 200)
        f.clock.advance(CoordinatorPolicy.idleMilliseconds + 1)
        #expect(browser.get("/dashboard").location == "/dashboard/login")
        var again = f.browser("ev-0104")
        try f.store.setCoordinatorPassword("ev-0104", password: "nouvelle-phrase-de-passe", by: "ev-0104")
        #expect(again.get("/dashboard").location == "/dashboard/login")
    }

    @Test func withoutASessionPagesRedirectEndpointsAnswer401AndFormsChangeNothing() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        let grid = try f.completeFinal("02614001", by: "ev-0101")
        var browser = DashboardBrowser(f)
        for page in ["/dashboard", "/dashboard/notes", "/dashboard/grid?id=\(grid)", "/dashboard/export.csv?part=notes-candidates"] {
            #expect(browser.get(page).location == "/dashboard/login", "\(page)")
        }
        let api = browser.get("/dashboard/api/report?part=notes")
        #expect(api.status == 401)
        #expect(api.text.contains("\"code\":\"unauthenticated\""))
        #expect(browser.post("/dashboard/harmonise", [("csrf", "x"), ("grid", grid), ("note", "15"), ("reason", "x")]).status == 401)
        browser.cookies["grille_session"] = String(repeating: "a", count: 64)
        #expect(browser.get("/dashboard").location == "/dashboard/login")
        #expect(try f.store.gridView(GridID(entity: grid)!).harmonisation == nil)
        #expect(browser.get("/dashboard/static/dashboard.css").status == 200)   // the login page needs its style
        #expect(browser.get("/dashboard/static/../../Package.swift").status == 404)
    }
}

extension DashboardBrowser {
    func withLogin(_ account: String, _ password: String) -> Int {
        var copy = self
        return copy.login(account, password).status
    }
}

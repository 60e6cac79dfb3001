import Foundation
import Testing
import TestSupport
@testable import Server
@testable import Shared

@Suite struct DashboardAccessTests {
    @Test func anEstablishmentCoordinatorIsRefusedAnotherEstablishmentsGridAndTheAcademyIsAllowed() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        let own = try f.completeFinal("02614001", by: "ev-0101")       // Lycée des Canuts (0691234A)
        let other = try f.completeFinal("02614013", by: "ev-0105")     // Jeanne-d'Arbois (0691235B)
        var canuts = f.browser("ev-0104")
        #expect(canuts.get("/dashboard/grid?id=\(own)").status == 200)
        let refused = canuts.get("/dashboard/grid?id=\(other)")
        #expect(refused.status == 403)
        #expect(refused.text.contains("Accès refusé"))
        #expect(!refused.text.contains("Picard"))   // nothing of the grid leaks
        #expect(canuts.get("/dashboard/api/grid?id=\(other)").status == 403)
        #expect(canuts.get("/dashboard/grid/print?id=\(other)").status == 403)
        // An unknown grid of another establishment is refused the same way: no existence oracle.
        #expect(canuts.get("/dashboard/grid?id=grid/ndrc-e4-ccf/2026/02614014/final").status == 403)
        #expect(canuts.get("/dashboard/grid?id=grid/ndrc-e4-ccf/2026/02614002/final").status == 404)
        let csrf = canuts.csrf()
        #expect(canuts.post("/dashboard/harmonise", [("csrf", csrf), ("grid", other), ("note", "12"), ("reason", "essai")]).status == 403)
        #expect(try f.store.gridView(GridID(entity: other)!).harmonisation == nil)
        var arbois = f.browser("ev-0107")
        #expect(arbois.get("/dashboard/grid?id=\(other)").status == 200)
        #expect(arbois.get("/dashboard/grid?id=\(own)").status == 403)
        var academy = f.browser("ev-0112")
        #expect(academy.get("/dashboard/grid?id=\(own)").status == 200)
        let api = academy.get("/dashboard/api/grid?id=\(other)")
        #expect(api.status == 200)
        #expect(try JSONValue.parse(api.text)["candidate"]?.stringValue == "02614013")
        let printed = academy.get("/dashboard/grid/print?id=\(other)")
        #expect(printed.status == 200)
        #expect(printed.text.contains("Grille d'aide") || printed.text.contains("V-4"))
    }

    @Test func reportsAndExportsAreLimitedToTheCoordinatorsEstablishment() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        try f.completeFinal("02614001", by: "ev-0101", note: 30)
        try f.completeFinal("02614013", by: "ev-0105", note: 20)
        var canuts = f.browser("ev-0104")
        let report = try JSONValue.parse(canuts.get("/dashboard/api/report?part=notes").text)
        #expect(report["establishment"]?.stringValue == "0691234A")
        let establishments = report["epreuves"]?.arrayValue?.first?["notes"]?["establishments"]?.arrayValue ?? []
        #expect(establishments.map { $0["uai"]?.stringValue } == ["0691234A"])
        #expect(canuts.get("/dashboard/api/report?part=notes&establishment=0691235B").status == 403)
        #expect(canuts.get("/dashboard?establishment=0691235B").status == 403)
        let csv = canuts.get("/dashboard/export.csv?part=notes-candidates&session=2026")
        #expect(csv.status == 200)
        #expect(csv.header("Content-Disposition")?.contains("attachment") == true)
        #expect(csv.text.contains("02614001") && !csv.text.contains("02614013"))
        #expect(canuts.get("/dashboard/export.csv?part=devices").status == 200)
        var academy = f.browser("ev-0112")
        let all = academy.get("/dashboard/export.csv?part=notes-candidates&session=2026")
        #expect(all.text.contains("02614001") && all.text.contains("02614013"))
        let limited = try JSONValue.parse(academy.get("/dashboard/api/report?part=candidates&establishment=0691235B").text)
        #expect(limited["establishment"]?.stringValue == "0691235B")
        #expect(academy.get("/dashboard/api/report?part=nonsense").status == 404)
    }

    @Test func harmonisingFromTheDashboardIsRecordedLikeTheCommand() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        let grid = try f.completeFinal("02614001", by: "ev-0101", note: 28)
        let cliGrid = try f.completeFinal("02614002", by: "ev-0101", note: 28)
        var browser = f.browser("ev-0104")
        let csrf = browser.csrf()
        // A refusal keeps what was typed and writes nothing.
        let noReason = browser.post("/dashboard/harmonise", [("csrf", csrf), ("grid", grid), ("note", "15,5"), ("reason", "   ")])
        #expect(noReason.status == 400)
        #expect(noReason.text.contains("value=\"15,5\""))
        let badNote = browser.post("/dashboard/harmonise", [("csrf", csrf), ("grid", grid), ("note", "15,3"), ("reason", "Écart")])
        #expect(badNote.status == 400)
        #expect(badNote.text.contains("Note invalide"))
        #expect(try f.store.gridView(GridID(entity: grid)!).harmonisation == nil)
        let done = browser.post("/dashboard/harmonise", [("csrf", csrf), ("grid", grid), ("note", "15,5"), ("reason", "Écart avec les profils comparables\nréunion du 12 juin")])
        #expect(done.status == 303)
        #expect(done.location?.hasPrefix("/dashboard/grid?id=") == true)
        #expect(browser.get(done.location!).text.contains("Note harmonisée enregistrée"))
        _ = try f.store.harmonise(cliGrid, halfPoints: 31, reason: "Écart avec les profils comparables\nréunion du 12 juin", by: "ev-0104")
        let view = try f.store.gridView(GridID(entity: grid)!)
        #expect(view.harmonisation == Harmonisation(note: 31, reason: "Écart avec les profils comparables\nréunion du 12 juin", by: "ev-0104"))
        #expect(view.note == 28)
        // The same event (server device, coordinator as author, a receipt) and the same audit line as the command.
        let rows = try f.store.db.query("SELECT entity, device, author, received_from FROM events WHERE field = 'harmonisation' ORDER BY seq")
        #expect(rows.map { [$0.string(1), $0.string(2), $0.string(3)] } == [["server", "ev-0104", "server"], ["server", "ev-0104", "server"]])
        let audit = try f.store.db.query("SELECT by, action, detail, session FROM audit WHERE action = 'harmonise' ORDER BY n")
        #expect(audit.map { [$0.string(0), $0.string(1), $0.string(2), $0.string(3)] }
                == [["ev-0104", "harmonise", "\(grid) → 15,5", "2026"], ["ev-0104", "harmonise", "\(cliGrid) → 15,5", "2026"]])
    }

    @Test func formsWithoutTheSessionsTokenOrFromAnotherOriginAreRefused() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        let grid = try f.completeFinal("02614001", by: "ev-0101")
        var browser = f.browser("ev-0104")
        let csrf = browser.csrf()
        var other = f.browser("ev-0112")
        let otherToken = other.csrf()
        for form in [[("grid", grid)], [("csrf", ""), ("grid", grid)], [("csrf", String(csrf.reversed())), ("grid", grid)], [("csrf", otherToken), ("grid", grid)]] {
            let answer = browser.post("/dashboard/harmonise", form + [("note", "12"), ("reason", "essai")])
            #expect(answer.status == 403)
            #expect(answer.text.contains("Jeton de sécurité invalide"))
        }
        browser.origin = "http://attaquant.example"
        #expect(browser.post("/dashboard/harmonise", [("csrf", csrf), ("grid", grid), ("note", "12"), ("reason", "essai")]).status == 403)
        browser.origin = nil
        // A JSON or multipart body is not a form.
        let json = browser.send(browser.request("POST", "/dashboard/harmonise", body: Array("{\"csrf\":\"\(csrf)\"}".utf8), extra: []).withContentType("application/json"))
        #expect(json.status == 400)
        #expect(try f.store.gridView(GridID(entity: grid)!).harmonisation == nil)
        #expect(try f.store.db.scalarInt("SELECT count(*) FROM audit WHERE action = 'harmonise'") == 0)
    }

    @Test func revokingFromTheDashboardIsRecordedLikeTheCommandAndLimitedToTheEstablishment() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        let (own, _) = try f.deviceOf("ev-0101")
        let (foreign, _) = try f.deviceOf("ev-0105")
        var canuts = f.browser("ev-0104")
        let page = canuts.get("/dashboard/devices")
        #expect(page.text.contains(own.id) && !page.text.contains(foreign.id))
        let csrf = canuts.csrf()
        #expect(canuts.post("/dashboard/revoke", [("csrf", csrf), ("device", foreign.id), ("confirm", "yes")]).status == 403)
        #expect(canuts.post("/dashboard/revoke", [("csrf", csrf), ("device", own.id)]).status == 400)   // not confirmed
        #expect(try f.store.device(own.id)?.revokedAt == nil)
        let done = canuts.post("/dashboard/revoke", [("csrf", csrf), ("device", own.id), ("confirm", "yes")])
        #expect(done.location == "/dashboard/devices?ok=revoked")
        #expect(try f.store.device(own.id)?.revokedAt != nil)
        #expect(try f.store.db.scalarString("SELECT revoked_by FROM devices WHERE id = ?", own.id) == "ev-0104")
        #expect(try f.store.db.scalarInt("SELECT count(*) FROM audit WHERE action = 'device revoked' AND by = 'ev-0104' AND detail = ?", own.id) == 1)
        let journal = (try? String(contentsOfFile: f.store.journal.path, encoding: .utf8)) ?? ""
        #expect(journal.contains("\"revoke\"") && journal.contains(own.id))
        do { _ = try f.store.authenticate(token: "x"); Issue.record("unknown token") } catch {}
        var academy = f.browser("ev-0112")
        #expect(academy.post("/dashboard/revoke", [("csrf", academy.csrf()), ("device", foreign.id), ("confirm", "yes")]).status == 303)
        #expect(try f.store.device(foreign.id)?.revokedAt != nil)
    }

    @Test func onlyTheAcademyCoordinatorDeliberatesAndPublishes() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        var canuts = f.browser("ev-0104")
        #expect(!canuts.get("/dashboard/session").text.contains("Délibérer la session"))
        let refused = canuts.post("/dashboard/session", [("csrf", canuts.csrf()), ("session", "2026"), ("action", "deliberate"), ("confirm", "yes")])
        #expect(refused.status == 403)
        #expect(try GridLoader.sessionState("2026", in: f.store.db) == .open)
        var academy = f.browser("ev-0112")
        #expect(academy.get("/dashboard/session").text.contains("Délibérer la session 2026"))
        let csrf = academy.csrf()
        #expect(academy.post("/dashboard/session", [("csrf", csrf), ("session", "2026"), ("action", "publish"), ("confirm", "yes")]).status == 400)
        #expect(academy.post("/dashboard/session", [("csrf", csrf), ("session", "2026"), ("action", "deliberate"), ("confirm", "yes")]).location
                == "/dashboard/session?ok=deliberated")
        #expect(try GridLoader.sessionState("2026", in: f.store.db) == .deliberated)
        #expect(try f.store.db.scalarString("SELECT author FROM events WHERE entity = 'session/2026' ORDER BY seq DESC LIMIT 1") == "ev-0112")
        #expect(academy.get("/dashboard/session").text.contains("Publier la session 2026"))
    }

    @Test func everyPageRendersForBothRolesWithStoredTextEscaped() throws {
        let f = try DashboardFixture()
        defer { f.remove() }
        let grid = try f.completeFinal("02614001", by: "ev-0101")
        try f.completeFinal("02614013", by: "ev-0105", note: 24)
        // A late edit by a non-member is quarantined.
        let (outsider, _) = try f.deviceOf("ev-0105")
        let late = Event(id: SecureRandom.uuid(), entity: grid, field: "note", value: 40,
                         hlc: HybridLogicalClock(wall: f.clock.nowMilliseconds(), counter: 1, device: outsider.id), author: "ev-0105", prev: [])
        _ = try f.store.push(PushRequest(events: [late]), from: outsider)
        for coordinator in ["ev-0104", "ev-0112"] {
            var browser = f.browser(coordinator)
            for page in ["/dashboard", "/dashboard/criteria", "/dashboard/notes", "/dashboard/profiles", "/dashboard/grids", "/dashboard/quarantine",
                         "/dashboard/devices", "/dashboard/session", "/dashboard/exports", "/dashboard/grid?id=\(grid)"] {
                let answer = browser.get(page)
                #expect(answer.status == 200, "\(coordinator) \(page): \(answer.text.prefix(300))")
                #expect(answer.text.hasPrefix("<!DOCTYPE html>"))
                #expect(answer.text.contains("lang=\"fr\""))
                #expect(!answer.text.contains("<b>réelle"))
            }
            #expect(browser.get("/dashboard/grid?id=\(grid)").text.contains("&lt;b&gt;réelle&lt;/b&gt;"))
            #expect(browser.get("/dashboard/criteria").text.contains("<svg class=\"chart\" role=\"img\""))
            #expect(browser.get("/dashboard/quarantine").text.contains("Émilie"))
        }
        var arbois = f.browser("ev-0107")
        #expect(!arbois.get("/dashboard/quarantine").text.contains("Moreau"))   // 02614001 is not theirs
    }
}

extension HTTPRequest {
    func withContentType(_ type: String) -> HTTPRequest {
        var copy = self
        copy.headers = copy.headers.filter { $0.name.lowercased() != "content-type" } + [("Content-Type", type)]
        return copy
    }
}

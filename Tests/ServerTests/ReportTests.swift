import Foundation
import Testing
import TestSupport
@testable import Server
@testable import Shared

/// A small session on the demo roster whose report is worked out by hand (see each expectation).
struct ReportScenario {
    let f: ServerFixture
    let teacher: Device, teacherToken: String
    let teacherB: Device, teacherB2: Device

    static let e4 = ["prospection.1", "prospection.2", "prospection.3", "prospection.4"]
    static let info = ["information.1", "information.2"]

    init() throws {
        f = try ServerFixture()
        (teacher, teacherToken) = try f.device("ev-0101")
        (teacherB, _) = try f.device("ev-0105")
        (teacherB2, _) = try f.device("ev-0106")
        try fill()
    }

    func push(_ events: [Event], from device: Device, accepted: Int? = nil) throws {
        let answer = try f.store.push(PushRequest(events: events), from: device)
        #expect(answer.accepted.count == (accepted ?? events.count), "\(answer.rejected)")
    }

    func grid(_ candidate: String, _ fields: [(String, JSONValue)], by author: String, device: Device) -> [Event] {
        fields.map { f.event($0.0, $0.1, by: author, device: device.id, candidate: candidate) }
    }

    func levels(_ pairs: [(String, String)]) -> [(String, JSONValue)] { pairs.map { ("level/\($0.0)", .string($0.1)) } }

    func conformity(_ candidate: String, _ status: String, by author: String, device: Device) -> Event {
        Event(id: SecureRandom.uuid(), entity: "conformity/2026/\(candidate)/ndrc-e4-ccf", field: "status", value: .string(status),
              hlc: HybridLogicalClock(wall: f.clock.nowMilliseconds(), counter: 0, device: device.id), author: author, prev: [])
    }

    func sign(_ candidate: String, as signer: String, by author: String, device: Device, name: String? = nil) throws {
        let hash = try f.store.gridView(GridID(entity: "grid/ndrc-e4-ccf/2026/\(candidate)/final")!).signedContentHash
        var value: [String: JSONValue] = ["content": .string(hash)]
        if let name { value["name"] = .string(name); value["witness"] = .string(author) }
        try push([f.event("signature/\(signer)", .object(value), by: author, device: device.id, candidate: candidate)], from: device)
    }

    private func fill() throws {
        // 02614001 (Lycée des Canuts): évènement, TS + 8 S, 14/20, signed by both members → complete. A level of the
        // other option arrives too: out of scope, never counted.
        try push(grid("02614001", [("option", "evenement"), ("note", 28), ("appreciation/A", "Très bonne prospection <script>alert(1)</script> & suivi")]
                      + levels([("prospection.1", "TS")] + (Self.e4.dropFirst() + ["evenement.1", "evenement.2", "evenement.3"] + Self.info).map { ($0, "S") })
                      + levels([("negociation.1", "TI")]), by: "ev-0101", device: teacher), from: teacher)
        try push(grid("02614001", [("comment/prospection.2", "=HYPERLINK(\"http://x\") <b>gras</b>")], by: "ev-0101", device: teacher), from: teacher)
        try sign("02614001", as: "ev-0101", by: "ev-0101", device: teacher)
        try sign("02614001", as: "ev-0102", by: "ev-0101", device: teacher, name: "BENALI Karim")
        // 02614002: négociation, 8 × I, 10/20, harmonised to 11.
        try push(grid("02614002", [("option", "negociation"), ("note", 20)]
                      + levels((Self.e4 + ["negociation.1", "negociation.2"] + Self.info).map { ($0, "I") }), by: "ev-0101", device: teacher), from: teacher)
        _ = try f.store.harmonise("02614002/final", halfPoints: 22, reason: "Alignement", by: "ev-0104")
        // 02614003 NV, 02614004 AB.
        try push([conformity("02614003", "short_internship", by: "ev-0101", device: teacher),
                  conformity("02614004", "absent", by: "ev-0101", device: teacher)], from: teacher)
        // 02614005: started, one level, no option, no note.
        try push(grid("02614005", levels([("prospection.1", "S")]), by: "ev-0101", device: teacher), from: teacher)
        // A refused write (unknown level) for the devices table.
        try push(grid("02614005", levels([("prospection.2", "ZZ")]), by: "ev-0101", device: teacher), from: teacher, accepted: 0)
        // 02614013 (Lycée Jeanne-d'Arbois): évènement, 9 × TS, 18/20, signed by one member, then a level changes → à re-signer.
        try push(grid("02614013", [("option", "evenement"), ("note", 36)]
                      + levels((Self.e4 + ["evenement.1", "evenement.2", "evenement.3"] + Self.info).map { ($0, "TS") }), by: "ev-0105", device: teacherB), from: teacherB)
        try sign("02614013", as: "ev-0105", by: "ev-0105", device: teacherB)
        let heads = try f.store.gridView(GridID(entity: "grid/ndrc-e4-ccf/2026/02614013/final")!).fields["level/evenement.2"]!.heads.map(\.id)
        try push([f.event("level/evenement.2", "S", by: "ev-0105", device: teacherB.id, candidate: "02614013", prev: heads)], from: teacherB)
        // 02614014: négociation, 4 TI, 2 I, 2 S, 6/20; the two members write appreciation A concurrently → one open conflict.
        try push(grid("02614014", [("option", "negociation"), ("note", 12), ("appreciation/A", "Version A")]
                      + levels(Self.e4.map { ($0, "TI") } + [("negociation.1", "I"), ("negociation.2", "I")] + Self.info.map { ($0, "S") }),
                 by: "ev-0105", device: teacherB), from: teacherB)
        try push(grid("02614014", [("appreciation/A", "Version B")], by: "ev-0106", device: teacherB2), from: teacherB2)
    }
}

@Suite struct ReportTests {
    @Test func aggregatesMatchTheHandComputedSession() throws {
        let s = try ReportScenario()
        defer { s.f.tmp.remove() }
        let report = try ReportBuilder(store: s.f.store).build(.init(session: "2026"))
        #expect(report.epreuves.map(\.template.id) == ["ndrc-e4-ccf", "ndrc-e6-ccf"])
        let e4 = report.epreuves[0]
        // Candidates.
        let a = e4.candidates.byEstablishment["0691234A"]!
        #expect(a == AcademyReport.CandidateCounts(enrolled: 12, conforming: 0, nv: 1, absent: 1, unrecorded: 10, started: 3, complete: 1, toResign: 0))
        #expect(a.missing == 9)
        #expect(e4.candidates.byEstablishment["0691235B"]! == .init(enrolled: 9, unrecorded: 9, started: 2, toResign: 1))
        #expect(e4.candidates.byEstablishment["0421234C"]! == .init(enrolled: 9, unrecorded: 9))
        #expect(e4.candidates.academy == .init(enrolled: 30, nv: 1, absent: 1, unrecorded: 28, started: 5, complete: 1, toResign: 1))
        #expect(report.epreuves[1].candidates.academy.enrolled == 4)
        // Criteria: the out-of-option level of 02614001 is not counted.
        let p1 = e4.criteria.first { $0.criterion.id == "prospection.1" }!
        #expect(p1.academy.counts == ["TS": 2, "I": 1, "S": 1, "TI": 1])
        #expect(p1.byEstablishment["0691234A"]!.counts == ["TS": 1, "I": 1, "S": 1])
        #expect(abs(p1.academy.percent("TS") - 40) < 1e-9)
        #expect(e4.criteria.first { $0.criterion.id == "negociation.1" }!.academy.counts == ["I": 2])
        #expect(e4.criteria.first { $0.criterion.id == "evenement.2" }!.academy.counts == ["S": 2])
        #expect(e4.criteria.count == 11)
        // Notes: proposed 14, 10, 18, 6; retained 14, 11, 18, 6.
        let notes = e4.notes.academy
        #expect(notes.proposed.n == 4)
        #expect(notes.proposed.mean == 12)
        #expect(notes.proposed.median == 12)
        #expect(abs(notes.proposed.standardDeviation! - 20.0.squareRoot()) < 1e-9)
        #expect(notes.retained.mean == 12.25)
        #expect(notes.retained.median == 12.5)
        #expect(notes.retained.histogram()[11] == 1 && notes.retained.histogram()[10] == 0)
        #expect(notes.harmonised == 1 && notes.harmonisedShift == 2)
        #expect(e4.notes.byEstablishment["0691234A"]!.retained.mean == 12.5)
        #expect(e4.notes.byEstablishment["0691235B"]!.proposed.mean == 12)
        // Profiles (TI-I-S-TS), one grid each, none flagged (fewer than 5 reference grids).
        let profiles = Dictionary(uniqueKeysWithValues: e4.profiles.lines.map { ($0.profile.counts, $0.notes) })
        #expect(Set(profiles.keys) == [[0, 0, 8, 1], [0, 8, 0, 0], [0, 0, 1, 8], [4, 2, 2, 0]])
        #expect(profiles[[0, 0, 8, 1]]?.median == 14)
        #expect(e4.profiles.lines.first?.profile.counts == [0, 0, 1, 8])   // best first
        #expect(e4.profiles.flagged.isEmpty)
        // Devices: one refusal for the teacher, one open conflict on each of the two laptops of cm-e4-02.
        let devices = Dictionary(uniqueKeysWithValues: report.devices.map { ($0.device.id, $0) })
        #expect(devices["dev-ev-0101"]?.rejected == 1)
        #expect(devices["dev-ev-0105"]?.conflicts == 1 && devices["dev-ev-0106"]?.conflicts == 1)
        #expect(devices["dev-ev-0101"]?.conflicts == 0)
        #expect(devices["dev-ev-0101"]?.device.lastSeen != nil)
    }

    @Test func theFrenchTextJSONAndCSVCarryTheSameFigures() throws {
        let s = try ReportScenario()
        defer { s.f.tmp.remove() }
        let report = try ReportBuilder(store: s.f.store).build(.init(session: "2026"))
        let text = report.text()
        #expect(text.contains("Vue académique"))
        #expect(text.contains("12,00"))   // mean of the proposed notes, decimal comma
        #expect(text.contains("12,25"))
        #expect(text.contains("4,47"))   // standard deviation
        #expect(!text.contains("12.25"))
        let json = report.json(.notes)
        let academy = json["epreuves"]?.arrayValue?.first?["notes"]?["academy"]
        #expect(academy?["retained"]?["mean_x100"]?.intValue == 1225)
        #expect(academy?["retained"]?["mean_display"]?.stringValue == "12,25")
        #expect(academy?["proposed"]?["histogram"]?.arrayValue?.count == 21)
        #expect(json["devices"] == nil)
        #expect(json["epreuves"]?.arrayValue?.first?["criteria"] == nil)
        let csv = try report.csv(.notes)
        #expect(csv.hasPrefix("\u{FEFF}épreuve;UAI;"))
        #expect(csv.contains(";Académie;proposées;4;12,00;12,00;4,47;6;18;1;1,00;"))
        #expect(throws: UsageError.self) { try report.csv(.academy) }
        let limited = try ReportBuilder(store: s.f.store).build(.init(session: "2026", establishment: "0691235B"))
        #expect(limited.epreuves[0].establishments.map(\.uai) == ["0691235B"])
        #expect(limited.epreuves[0].candidates.academy.enrolled == 30)   // the academy line stays
        #expect(limited.devices.allSatisfy { $0.evaluator?.establishment == "0691235B" })
    }

    @Test func reportsNeedACoordinatorTokenAndACoordinatorSeesOnlyTheirEstablishment() throws {
        let s = try ReportScenario()
        defer { s.f.tmp.remove() }
        let (_, coordinatorToken) = try s.f.device("ev-0104")   // coordinator of 0691234A
        let (_, academyToken) = try s.f.device("ev-0112")
        let router = ServerRoutes.router(core: ServerCore(store: s.f.store))
        func get(_ path: String, token: String?, query: [String: String] = [:]) -> HTTPResponse {
            router.handle(HTTPRequest(method: "GET", target: path, path: path, query: query,
                                      headers: token.map { [("Authorization", "Bearer \($0)")] } ?? []))
        }
        func body(_ r: HTTPResponse) throws -> JSONValue { try JSONValue.parse(r.body) }
        #expect(get("/v1/reports/academy", token: nil).status == 401)
        let teacher = get("/v1/reports/notes", token: s.teacherToken)
        #expect(teacher.status == 403)
        #expect(try body(teacher)["error"]?["code"]?.stringValue == "forbidden")
        let own = get("/v1/reports/candidates", token: coordinatorToken)
        #expect(own.status == 200)
        let ownJSON = try body(own)
        #expect(ownJSON["establishment"]?.stringValue == "0691234A")
        let listed = ownJSON["epreuves"]?.arrayValue?.first?["candidates"]?["establishments"]?.arrayValue ?? []
        #expect(listed.compactMap { $0["uai"]?.stringValue } == ["0691234A"])
        #expect(get("/v1/reports/candidates", token: coordinatorToken, query: ["establishment": "0691235B"]).status == 403)
        let academy = get("/v1/reports/criteria", token: academyToken, query: ["session": "2026", "establishment": "0691235B"])
        #expect(academy.status == 200)
        #expect(try body(academy)["establishment"]?.stringValue == "0691235B")
        let all = try body(get("/v1/reports/academy", token: academyToken))
        #expect(all["epreuves"]?.arrayValue?.first?["candidates"]?["establishments"]?.arrayValue?.count == 3)
        #expect(all["devices"]?.arrayValue?.isEmpty == false)
        #expect(get("/v1/reports/notes", token: academyToken, query: ["session": "20x6"]).status == 400)
        #expect(get("/v1/reports/notes", token: academyToken, query: ["establishment": "9999999Z"]).status == 404)
        #expect(get("/v1/reports/unknown", token: academyToken).status == 404)
    }

    @Test func notesCSVHasOneLinePerCandidateInBothModesWithFormulasNeutralised() throws {
        let s = try ReportScenario()
        defer { s.f.tmp.remove() }
        let lines = try NotesExport.lines(store: s.f.store, session: "2026", template: "ndrc-e4-ccf")
        #expect(lines.count == 30)
        let byNumber = Dictionary(uniqueKeysWithValues: lines.map { ($0.number, $0) })
        #expect(byNumber["02614001"]?.status == "complet")
        #expect(byNumber["02614002"].map { ($0.proposed, $0.harmonised, $0.retained) } ?? (nil, nil, nil) == (20, 22, 22))
        #expect(byNumber["02614003"]?.status == "NV" && byNumber["02614003"]?.retained == nil)
        #expect(byNumber["02614004"]?.status == "AB")
        #expect(byNumber["02614005"]?.status == "en cours")
        #expect(byNumber["02614013"]?.status == "à re-signer")
        #expect(byNumber["02614030"]?.status == "à évaluer")
        #expect(byNumber["02614002"]?.establishmentName == "Lycée des Canuts")

        let plain = NotesExport.csv(lines, excel: false)
        #expect(plain.hasPrefix("numéro,nom,prénom,UAI,établissement,épreuve,session,statut,note proposée,note harmonisée,note retenue\r\n"))
        #expect(plain.contains("02614002,N'Diaye,Aminata,0691234A,Lycée des Canuts,BTS NDRC E4,2026,à signer,10,11,11\r\n"))
        #expect(plain.contains("\"Lycée Jeanne-d'Arbois, site tertiaire\""))
        let excel = NotesExport.csv(lines, excel: true)
        #expect(excel.hasPrefix("\u{FEFF}numéro;nom;"))
        #expect(excel.contains("02614013;Picard;Nathan;0691235B;Lycée Jeanne-d'Arbois, site tertiaire;BTS NDRC E4;2026;à re-signer;18;;18\r\n"))

        // Round trip with commas, quotes, line breaks, accents, and cells that would be formulas.
        var tricky = lines[0]
        tricky.lastName = "=HYPERLINK(\"http://x\";\"clic\")"
        tricky.firstName = "Zoé, \"la\"\nseconde ligne"
        tricky.establishmentName = "@SUM(A1) +1 -2"
        tricky.proposed = 29
        let parsed = try CSV.parse(Array(NotesExport.csv([tricky], excel: false).utf8))
        #expect(parsed.count == 2)
        #expect(parsed[1][1] == "'=HYPERLINK(\"http://x\";\"clic\")")
        #expect(parsed[1][2] == "Zoé, \"la\"\nseconde ligne")
        #expect(parsed[1][4] == "'@SUM(A1) +1 -2")
        #expect(parsed[1][8] == "14.5")
        let semicolon = NotesExport.csv([tricky], excel: true)
        #expect(semicolon.contains(";14,5;"))
        #expect(semicolon.contains("\"'=HYPERLINK(\"\"http://x\"\";\"\"clic\"\")\""))
    }

    @Test func printedGridsEscapeEveryTextAndHoldNoScript() throws {
        let s = try ReportScenario()
        defer { s.f.tmp.remove() }
        let printer = GridPrinter(store: s.f.store)
        let ids = try printer.finalGrids(commission: "cm-e4-01")
        #expect(ids.count == 12)
        let html = try printer.gridDocument(ids, title: "Commission <cm-e4-01>")
        #expect(!html.lowercased().contains("<script"))
        #expect(html.contains("Très bonne prospection &lt;script&gt;alert(1)&lt;/script&gt; &amp; suivi"))
        #expect(html.contains("=HYPERLINK(&quot;http://x&quot;) &lt;b&gt;gras&lt;/b&gt;"))
        #expect(html.contains("Document confidentiel — réservé à la commission d&#39;interrogation"))
        #expect(html.components(separatedBy: "<section class=\"page\">").count == 13)
        #expect(html.contains("<title>Commission &lt;cm-e4-01&gt;</title>"))
        #expect(html.contains("Content-Security-Policy"))
        // The crosses of 02614001: 1 TS and 8 S, the out-of-option level left out.
        let page = try printer.gridPage(GridID(entity: "grid/ndrc-e4-ccf/2026/02614001/final")!)
        #expect(page.components(separatedBy: "class=\"lv x\"").count - 1 == 9)
        #expect(page.contains("(option non retenue)"))
        #expect(page.contains("BENALI Karim"))
        #expect(page.contains("NOTE proposée : <strong>14</strong> / 20"))
        #expect(try printer.gridPage(GridID(entity: "grid/ndrc-e4-ccf/2026/02614003/final")!).contains("NV — non conforme"))
        #expect(try XMLLikeCheck.balanced(html))
        let fiches = try printer.ficheDocument([ids[0]], title: "Fiche")
        #expect(fiches.contains("&lt;script&gt;") && !fiches.contains("<script"))
    }

    @Test func purgeNeedsAnUpToDateArchiveUnlessForced() throws {
        let s = try ReportScenario()
        defer { s.f.tmp.remove() }
        s.f.clock.advance(500 * 86_400_000)   // after the retention date (1 January 2027)
        #expect(try !s.f.store.hasArchive(session: "2026"))
        #expect(throws: ServerError.self) { try s.f.store.purge(session: "2026", by: "ev-0112", force: false) }
        #expect(throws: ServerError.self) { try s.f.store.archive(session: "2026", to: s.f.tmp.sub("a0"), by: "ev-0104") }   // not academy
        let archive = try s.f.store.archive(session: "2026", to: s.f.tmp.sub("archive"), by: "ev-0112")
        let names = Set(archive.files.map(\.name))
        #expect(names.isSuperset(of: ["saisies-2026.jsonl", "notes-2026.csv", "notes-2026-excel.csv", "grilles-V4-2026-cm-e4-01.html",
                                      "fiches-V5-2026-cm-e4-01.html", "grilles-V4-2026-cm-e4-02.html", "rapport-2026.json", "SHA256SUMS"]))
        let jsonl = try String(contentsOfFile: s.f.tmp.sub("archive/saisies-2026.jsonl"), encoding: .utf8)
        let events = try jsonl.split(separator: "\n").map { try Event(bytes: Array($0.utf8)) }
        #expect(events.count == archive.events)
        #expect(events.contains { $0.field == "harmonisation" })
        #expect(try s.f.store.hasArchive(session: "2026"))
        #expect(throws: ServerError.self) { try s.f.store.archive(session: "2026", to: s.f.tmp.sub("archive"), by: "ev-0112") }   // not empty
        // A later event makes the archive stale.
        try s.push([s.f.event("comment/prospection.3", "après l'archive", by: "ev-0101", device: s.teacher.id, candidate: "02614005")], from: s.teacher)
        #expect(try !s.f.store.hasArchive(session: "2026"))
        #expect(throws: ServerError.self) { try s.f.store.purge(session: "2026", by: "ev-0112", force: false) }
        _ = try s.f.store.archive(session: "2026", to: s.f.tmp.sub("archive2"), by: "ev-0112")
        let report = try s.f.store.purge(session: "2026", by: "ev-0112", force: false)
        #expect(report.grids > 0)
        #expect(try s.f.store.db.scalarInt("SELECT count(*) FROM audit WHERE action = 'archive'") == 2)   // kept after the purge
    }
}

/// A cheap well-formedness check of the HTML Grille writes: every non-void element closes in order.
enum XMLLikeCheck {
    static let void: Set<String> = ["meta", "br", "link", "img", "hr", "input", "col"]

    static func balanced(_ html: String) throws -> Bool {
        var stack: [String] = []
        let regex = try NSRegularExpression(pattern: "<(/?)([a-zA-Z0-9]+)[^>]*>")
        let ns = html as NSString
        for match in regex.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            let closing = ns.substring(with: match.range(at: 1)) == "/"
            let name = ns.substring(with: match.range(at: 2)).lowercased()
            if void.contains(name) { continue }
            if closing {
                guard stack.last == name else { return false }
                stack.removeLast()
            } else {
                stack.append(name)
            }
        }
        return stack.isEmpty
    }
}

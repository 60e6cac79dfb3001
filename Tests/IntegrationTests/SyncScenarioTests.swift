import Foundation
import Testing
import TestSupport
@testable import Shared

/// Real processes: one `grille-server` and several `grille-agent`s with their own data directories, on
/// 127.0.0.1 port 0.
@Suite(.serialized) struct SyncScenarioTests {
    static let e4 = "ndrc-e4-ccf"

    /// The two jury members fill the same final grid offline and sync in every order.
    @Test(arguments: [["A", "B", "A"], ["B", "A", "B"], ["A", "B", "B", "A"], ["B", "B", "A", "A", "B"]])
    func theJuryConvergesWhateverTheOrder(order: [String]) throws {
        let tmp = TemporaryDirectory("jury")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let teacher = AgentNode(tmp, "ev-0101"), pro = AgentNode(tmp, "ev-0102")
        try teacher.enroll(server)
        try pro.enroll(server)
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        // Offline: both open the final grid; different criteria, and the same criterion.
        try teacher.ok("grid", "new", "--candidate", "02614001", "--template", Self.e4, "--situation", "final", "--option", "evenement")
        try teacher.ok("grid", "set", grid, "prospection.1", "S")
        try teacher.ok("grid", "set", grid, "prospection.2", "S")
        try pro.ok("grid", "new", "--candidate", "02614001", "--template", Self.e4, "--situation", "final", "--option", "evenement")
        try pro.ok("grid", "set", grid, "information.1", "TS")
        try pro.ok("grid", "set", grid, "prospection.2", "I")
        let nodes = ["A": teacher, "B": pro]
        for name in order { _ = try nodes[name]!.sync() }
        for node in [teacher, pro] { _ = try node.sync() }
        let prefix = grid + "/"
        let serverHash = try server.hash(prefix: grid)
        #expect(try teacher.hash(prefix: grid) == serverHash)
        #expect(try pro.hash(prefix: grid) == serverHash)
        _ = prefix
        for node in [teacher, pro] {
            let view = try node.final("02614001")
            #expect(view["levels"]?["prospection.1"]?.stringValue == "S")
            #expect(view["levels"]?["information.1"]?.stringValue == "TS")
            let conflicts = view["conflicts"]?.arrayValue ?? []
            #expect(conflicts.map { $0["field"]?.stringValue } == ["level/prospection.2"], "\(node.evaluator): \(conflicts)")
            let values = Set(conflicts.first?["values"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? [])
            #expect(values == ["S", "I"])
            let sign = try node.run(["grid", "sign", grid])
            #expect(sign.status == 1)
            #expect(sign.stderr.contains("conflit ouvert sur : level/prospection.2"))
        }
        // The professional has now seen both values: writing again resolves the conflict, the later
        // write wins and the replaced values stay in the history.
        try pro.ok("grid", "set", grid, "prospection.2", "TS")
        _ = try pro.sync()
        _ = try teacher.sync()
        let resolved = try teacher.final("02614001")
        #expect(resolved["conflicts"]?.arrayValue == [])
        #expect(resolved["levels"]?["prospection.2"]?.stringValue == "TS")
        let history = try teacher.json("grid", "history", grid, "--criterion", "prospection.2")
        let values = history.arrayValue?.first?["events"]?.arrayValue?.compactMap { $0["value"]?.stringValue } ?? []
        #expect(values.first == "TS")
        #expect(Set(values) == ["TS", "S", "I"])
        // The teacher overwrites a value it had seen: the later write wins, no conflict.
        try teacher.ok("grid", "set", grid, "information.1", "S")
        _ = try teacher.sync()
        _ = try pro.sync()
        #expect(try pro.final("02614001")["levels"]?["information.1"]?.stringValue == "S")
        #expect(try pro.final("02614001")["conflicts"]?.arrayValue == [])
        #expect(try teacher.hash(prefix: grid) == (try server.hash(prefix: grid)))
        #expect(try pro.hash(prefix: grid) == (try server.hash(prefix: grid)))
    }

    @Test func partitionsHoldOnTheWireAndFollowRosterChanges() throws {
        let tmp = TemporaryDirectory("partition")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let teacher = AgentNode(tmp, "ev-0101"), pro = AgentNode(tmp, "ev-0102"), outsider = AgentNode(tmp, "ev-0105")
        for node in [teacher, pro, outsider] { try node.enroll(server) }
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        try teacher.ok("grid", "new", "--candidate", "02614001", "--template", Self.e4, "--situation", "final", "--option", "evenement")
        try teacher.ok("grid", "set", grid, "prospection.1", "TS")
        _ = try teacher.sync()
        _ = try outsider.sync()
        // On the wire: the outsider's own pull never carries that candidate.
        let wire = try server.raw("GET", "/v1/sync/pull?after=0&limit=10000", token: outsider.token)
        #expect(wire.status == 200)
        #expect(!wire.bodyText.contains("02614001"))
        #expect(wire.bodyText.contains("02614013"))
        #expect(try outsider.json("log").arrayValue?.contains { $0["entity"]?.stringValue?.contains("02614001") == true } == false)
        // A push touching the foreign grid is refused (and kept in quarantine).
        let forged = Event(id: SecureRandom.uuid(), entity: grid, field: "level/prospection.1", value: "TI",
                           hlc: HybridLogicalClock(wall: Int64(Date().timeIntervalSince1970 * 1000), counter: 0, device: "dev-x"),
                           author: "ev-0105", prev: [])
        let push = try server.raw("POST", "/v1/sync/push", token: outsider.token, body: PushRequest(events: [forged]).json.canonicalString)
        let answer = try JSONValue.parse(push.body)
        #expect(answer["accepted"]?.arrayValue == [])
        #expect(answer["rejected"]?.arrayValue?.first?["code"]?.stringValue == "not_member")

        // The professional edits offline, then is removed from the commission while the outsider joins it.
        _ = try pro.sync()
        try pro.ok("grid", "set", grid, "prospection.2", "S")
        let changed = try rosterCopy(tmp, name: "roster2", members: ["cm-e4-01": "ev-0101;ev-0105"])
        let imported = try server.cli(["roster", "import", changed, "--by", ServerHarness.coordinator])
        #expect(imported.status == 0, "\(imported.stderr)")
        // The newcomer receives the whole history of the grid at its next pull.
        _ = try outsider.sync()
        let seen = try outsider.final("02614001")
        #expect(seen["levels"]?["prospection.1"]?.stringValue == "TS")
        #expect(try outsider.hash(prefix: grid) == (try server.hash(prefix: grid)))
        // The removed member's offline edit lands in quarantine; the grid leaves the laptop.
        _ = try pro.sync()
        let status = try pro.json("status")
        #expect(status["quarantined"]?.arrayValue?.count == 1, "\(status)")
        #expect(try pro.json("grids").arrayValue?.contains { $0["id"]?.stringValue == grid } == false)
        let quarantine = try JSONValue.parse(server.cli(["quarantine", "--json"]).stdout).arrayValue ?? []
        #expect(quarantine.contains { $0["event"]?["author"]?.stringValue == "ev-0102" && $0["event"]?["field"]?.stringValue == "level/prospection.2" })
    }

    @Test func pushesAreIdempotentAndAKilledAgentLosesAndDuplicatesNothing() throws {
        let tmp = TemporaryDirectory("idem")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let proxy = try TestProxy(upstreamPort: server.port)
        defer { proxy.close() }
        let teacher = AgentNode(tmp, "ev-0101")
        try teacher.enroll(server, url: proxy.url)
        // The same raw push three times: accepted once, then duplicates with the same receipts.
        let event = Event(id: SecureRandom.uuid(), entity: "grid/ndrc-e4-ccf/2026/02614002/final", field: "note", value: 30,
                          hlc: HybridLogicalClock(wall: Int64(Date().timeIntervalSince1970 * 1000), counter: 0, device: "dev-raw"),
                          author: "ev-0101", prev: [])
        let body = PushRequest(events: [event]).json.canonicalString
        var answers: [JSONValue] = []
        for _ in 0..<3 { answers.append(try JSONValue.parse(try server.raw("POST", "/v1/sync/push", token: teacher.token, body: body).body)) }
        #expect(answers[0]["accepted"]?.arrayValue?.count == 1)
        #expect(answers[1]["duplicates"] == answers[0]["accepted"])
        #expect(answers[2]["duplicates"] == answers[0]["accepted"])
        let reused = Event(id: event.id, entity: event.entity, field: "note", value: 31, hlc: event.hlc, author: "ev-0101", prev: [])
        let conflict = try JSONValue.parse(try server.raw("POST", "/v1/sync/push", token: teacher.token, body: PushRequest(events: [reused]).json.canonicalString).body)
        #expect(conflict["rejected"]?.arrayValue?.first?["code"]?.stringValue == "id_conflict")

        // The agent is killed after the server committed its push and before it read the answer.
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        try teacher.ok("grid", "new", "--candidate", "02614001", "--template", Self.e4, "--situation", "final", "--option", "evenement")
        for criterion in ["prospection.1", "prospection.2", "prospection.3"] { try teacher.ok("grid", "set", grid, criterion, "S") }
        proxy.set(.holdResponses)
        let child = try teacher.start(["sync"])
        let deadline = Date().addingTimeInterval(30)
        while proxy.heldCount == 0 && Date() < deadline { usleep(20_000) }
        #expect(proxy.heldCount == 1)
        child.signal(SIGKILL)
        _ = child.wait(timeout: 10)
        proxy.set(.relay)
        let before = try server.eventIDs()
        let summary = try teacher.sync()
        #expect(summary["accepted"]?.intValue == 0, "\(summary)")
        #expect((summary["duplicates"]?.intValue ?? 0) >= 5)
        let after = try server.eventIDs()
        #expect(after == before)
        #expect(try teacher.json("status")["pending"]?.intValue == 0)
        let serverCount = try Database(path: server.db).scalarInt("SELECT count(*) FROM events WHERE entity = ?", grid)
        let local = try teacher.json("log").arrayValue?.filter { $0["entity"]?.stringValue == grid }.count
        #expect(serverCount.map(Int.init) == local)
        #expect(try teacher.hash(prefix: grid) == (try server.hash(prefix: grid)))
    }

    @Test func aRevokedLaptopSavesItsUnsentWorkThenWipesAndAPlain401WipesNothing() throws {
        let tmp = TemporaryDirectory("revoke")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let proxy = try TestProxy(upstreamPort: server.port)
        defer { proxy.close() }
        let teacher = AgentNode(tmp, "ev-0101")
        try teacher.enroll(server, url: proxy.url)
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        try teacher.ok("grid", "new", "--candidate", "02614001", "--template", Self.e4, "--situation", "final", "--option", "evenement")
        try teacher.ok("grid", "set", grid, "prospection.1", "S")
        // A misconfigured proxy answering 401: an error, nothing deleted.
        proxy.set(.plain401)
        let refused = try teacher.run(["sync"])
        #expect(refused.status != 0)
        #expect(try teacher.json("status")["pending"]?.intValue == 3)
        #expect(FileManager.default.fileExists(atPath: teacher.data + "/agent.sqlite"))
        proxy.set(.relay)
        // Revoked by the academy: the unsent work is written to a file, then the data is wiped.
        let device = try teacher.json("status")["device"]?.stringValue ?? ""
        #expect(try server.cli(["revoke", device, "--by", ServerHarness.coordinator]).status == 0)
        let wiped = try teacher.run(["sync"])
        #expect(wiped.status != 0)
        let said = wiped.stdout + wiped.stderr
        #expect(said.contains("révoqué"), "\(said)")
        let files = try FileManager.default.contentsOfDirectory(atPath: teacher.data)
        let saved = files.filter { $0.hasSuffix(".jsonl") }
        #expect(saved.count == 1, "\(files)")
        #expect(said.contains(saved.first ?? "none"))
        let lines = try String(contentsOfFile: teacher.data + "/" + saved[0], encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(!files.contains("agent.sqlite"))
        #expect(!files.contains("token"))
        let devices = try JSONValue.parse(server.cli(["devices", "--json"]).stdout).arrayValue ?? []
        #expect(devices.first { $0["id"]?.stringValue == device }?["revoked_at"] != .null)
    }

    @Test func aLaptopOneHourAheadIsCorrectedAndOneHourBehindConverges() throws {
        let tmp = TemporaryDirectory("skew")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let ahead = AgentNode(tmp, "ev-0101", clockShift: "+1h")
        let behind = AgentNode(tmp, "ev-0102", clockShift: "-1h")
        try ahead.enroll(server)
        try behind.enroll(server)
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        try ahead.ok("grid", "new", "--candidate", "02614001", "--template", Self.e4, "--situation", "final", "--option", "evenement")
        try ahead.ok("grid", "set", grid, "prospection.1", "TS")
        let first = try ahead.run(["sync"])
        let said = first.stdout + first.stderr
        #expect(said.contains("avançait de 60 minutes") || said.contains("avançait de 59 minutes"), "\(said)")
        #expect(said.contains("renvoyées"))
        let status = try ahead.json("status")
        #expect(status["pending"]?.intValue == 0)
        #expect((status["clock_offset_ms"]?.intValue ?? 0) < -3_500_000)
        #expect(status["rejected"]?.arrayValue == [])
        // The laptop one hour behind writes the same grid and converges.
        _ = try behind.sync()
        try behind.ok("grid", "set", grid, "information.1", "S")
        _ = try behind.sync()
        _ = try ahead.sync()
        #expect(try ahead.hash(prefix: grid) == (try server.hash(prefix: grid)))
        #expect(try behind.hash(prefix: grid) == (try server.hash(prefix: grid)))
        #expect(try ahead.final("02614001")["levels"]?["information.1"]?.stringValue == "S")
        // Later writes on the corrected laptop are accepted at once.
        try ahead.ok("grid", "set", grid, "prospection.2", "S")
        let later = try ahead.sync()
        #expect(later["rejected"]?.intValue == 0)
        #expect(later["accepted"]?.intValue == 1)
    }

    @Test func usbExportImportAndReceiptsThenANetworkSyncSendsNothingTwice() throws {
        let tmp = TemporaryDirectory("usb")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let teacher = AgentNode(tmp, "ev-0101")
        try teacher.enroll(server)
        server.stop()   // no network before the deadline
        let grid = "grid/ndrc-e4-ccf/2026/02614003/final"
        try teacher.ok("grid", "new", "--candidate", "02614003", "--template", Self.e4, "--situation", "final", "--option", "negociation")
        try teacher.ok("grid", "set", grid, "negociation.1", "TS")
        let file = tmp.sub("usb-export.json")
        try teacher.ok("export-events", file)
        let imported = try server.cli(["import-events", file, "--by", ServerHarness.coordinator])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("3 acceptés"), "\(imported.stdout)")
        try teacher.ok("import-receipts", file + ".receipts.json")
        #expect(try teacher.json("status")["pending"]?.intValue == 0)
        try server.start()
        let summary = try teacher.sync()
        #expect(summary["pushed"]?.intValue == 0, "\(summary)")
        #expect(try teacher.hash(prefix: grid) == (try server.hash(prefix: grid)))
        // Bad USB files are refused with a French message, nothing written.
        let head = try server.eventIDs().count
        try "{\"device\":\"dev-nope\",\"push\":{\"events\":[]}}".write(toFile: tmp.sub("bad.json"), atomically: true, encoding: .utf8)
        for bad in [tmp.sub("missing.json"), tmp.sub("bad.json")] {
            let result = try server.cli(["import-events", bad, "--by", ServerHarness.coordinator])
            #expect(result.status == 1)
            #expect(!result.stderr.isEmpty)
        }
        #expect(try server.eventIDs().count == head)
    }
}

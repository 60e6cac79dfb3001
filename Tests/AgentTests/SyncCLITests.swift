import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import Shared

@Suite(.serialized) struct SyncCLITests {
    static let token = String(repeating: "c0ffee", count: 10) + "abcd"

    /// A server answer to `POST /v1/enroll` for the device named in the request.
    static func enrollAnswer(evaluator: String = "ev-0101") -> ScriptedTransport.Answer {
        .handle { request in
            let device = (try? EnrollRequest(json: JSONValue.parse(request.body)))?.device ?? "?"
            let response = EnrollResponse(device: device, token: token, evaluator: evaluator, academy: "Académie de démonstration",
                                          timezone: "Europe/Paris", epoch: "epoch-1", serverTime: 1_763_824_800_000)
            return TransportResponse(status: 200, body: response.json.canonicalBytes())
        }
    }

    static func files(_ directory: String, prefix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix(prefix) }
    }

    @Test func enrollStoresTheTokenPrivatelyAndTheServerSettingsThenSyncWorks() throws {
        let tmp = TemporaryDirectory("enroll")
        defer { tmp.remove() }
        let server = FakeServer()
        let transport = ScriptedTransport([Self.enrollAnswer()], fallback: { server.handle($0) })
        let bench = SyncBench(tmp, clock: server.clock, transport: transport)
        let device = try bench.store().deviceID
        let result = bench.cli("enroll", "--server", "https://grille.ac-demo.fr/", "--code", "K7P2-QX9M")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("inscrit auprès de https://grille.ac-demo.fr"))
        let request = try EnrollRequest(json: JSONValue.parse(transport.requests[0].body))
        #expect(request == EnrollRequest(code: "K7P2-QX9M", device: device, evaluator: nil))
        #expect(transport.requests[0].target == "/v1/enroll" && transport.requests[0].method == "POST")
        let mode = try FileManager.default.attributesOfItem(atPath: bench.data + "/token")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try LocalStore.readToken(directory: bench.data) == Self.token)
        let store = try bench.store()
        #expect(try store.setting(LocalStore.SyncKey.serverURL) == "https://grille.ac-demo.fr")
        #expect(try store.setting(LocalStore.SyncKey.evaluator) == "ev-0101")
        #expect(try store.setting(LocalStore.SyncKey.epoch) == "epoch-1")

        try store.append(SyncFixtures.writes(2), author: "ev-0101")
        let sync = bench.cli("sync", "--json")
        #expect(sync.status == 0, "\(sync.stderr)")
        let summary = try JSONValue.parse(sync.stdout)
        #expect(summary["accepted"]?.intValue == 2 && summary["cursor"]?.intValue == 2)
        #expect(transport.requests.last?.headers["Authorization"] == "Bearer \(Self.token)")
        let status = try JSONValue.parse(bench.cli("status", "--json").stdout)
        #expect(status["enrolled"] == true && status["pending"]?.intValue == 0 && status["last_sync"]?.intValue == server.clock.nowMilliseconds())
        #expect(bench.cli("status").stdout.contains("Dernière synchronisation réussie : 22/11/2025"))

        // Once enrolled, the roster comes from the server and the identity is the enrolled evaluator.
        let rosterImport = bench.cli("roster", "import", Repository.demoRoster)
        #expect(rosterImport.status == 1 && rosterImport.stderr.contains("la liste vient du serveur"), "\(rosterImport.stderr)")
        let otherIdentity = bench.cli("whoami", "--as", "ev-0202")
        #expect(otherIdentity.status == 1 && otherIdentity.stderr.contains("inscrit pour « ev-0101 »"), "\(otherIdentity.stderr)")
        #expect(try store.roster().evaluators.isEmpty)
    }

    @Test func enrollIsRefusedOnAHandImportedRosterUnlessResetWhichSavesTheLocalEventsFirst() throws {
        let tmp = TemporaryDirectory("demo")
        defer { tmp.remove() }
        let transport = ScriptedTransport()
        let bench = SyncBench(tmp, transport: transport)
        #expect(bench.cli("roster", "import", Repository.demoRoster).status == 0)
        #expect(bench.cli("whoami", "--as", "ev-0101").status == 0)
        #expect(bench.cli("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final").status == 0)
        let device = try bench.store().deviceID
        let local = try bench.store().log().map(\.event)

        let refused = bench.cli("enroll", "--server", "https://grille.test", "--code", "ABCD")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("liste importée à la main") && refused.stderr.contains("--reset"), "\(refused.stderr)")
        #expect(transport.requests.isEmpty, "nothing is sent")
        #expect(!FileManager.default.fileExists(atPath: bench.data + "/token"))
        #expect(try bench.store().setting(LocalStore.SyncKey.serverURL) == nil)

        transport.enqueue(Self.enrollAnswer())
        let reset = bench.cli("enroll", "--server", "https://grille.test", "--code", "ABCD", "--reset")
        #expect(reset.status == 0, "\(reset.stderr)")
        let saved = Self.files(bench.data, prefix: "saisies-locales-")
        #expect(saved.count == 1)
        #expect(reset.stdout.contains(saved.first ?? "?"))
        let lines = try String(contentsOfFile: bench.data + "/" + saved[0], encoding: .utf8).split(separator: "\n")
        #expect(try lines.map { try Event(bytes: Array($0.utf8)) } == local)
        let store = try bench.store()
        #expect(store.deviceID == device, "the registered device id is kept")
        #expect(try store.log().isEmpty)
        #expect(try store.roster().evaluators.isEmpty)
        #expect(try store.setting(LocalStore.SyncKey.rosterSource) == nil)
        #expect(try store.setting(LocalStore.SyncKey.serverURL) == "https://grille.test")
        #expect(try LocalStore.readToken(directory: bench.data) == Self.token)
    }

    @Test func enrollIsRefusedForADataDirectoryHoldingAnotherEvaluatorsEvents() throws {
        let tmp = TemporaryDirectory("other")
        defer { tmp.remove() }
        let transport = ScriptedTransport([
            .respond(FakeServer.error(409, "evaluator_mismatch", "Ce code est destiné à un autre évaluateur.")),
            Self.enrollAnswer(evaluator: "ev-0202"),
            .respond(FakeServer.error(401, "invalid_code", "Code expiré.")),
        ])
        let bench = SyncBench(tmp, transport: transport)
        let store = try bench.store()
        try store.setSetting(LocalStore.SyncKey.evaluator, "ev-0101")
        try store.append(SyncFixtures.writes(3), author: "ev-0101")

        let mismatch = bench.cli("enroll", "--server", "https://grille.test", "--code", "CODE1")
        #expect(mismatch.status == 1)
        #expect(mismatch.stderr.contains("autre évaluateur") && mismatch.stderr.contains("n'a pas été utilisé"), "\(mismatch.stderr)")
        #expect(try EnrollRequest(json: JSONValue.parse(transport.requests[0].body)).evaluator == "ev-0101")

        let otherName = bench.cli("enroll", "--server", "https://grille.test", "--code", "CODE2")
        #expect(otherName.status == 1)
        #expect(otherName.stderr.contains("au nom de « ev-0202 »"), "\(otherName.stderr)")

        let expired = bench.cli("enroll", "--server", "https://grille.test", "--code", "CODE3")
        #expect(expired.status == 1)
        #expect(expired.stderr.contains("Code d'inscription refusé"), "\(expired.stderr)")

        #expect(!FileManager.default.fileExists(atPath: bench.data + "/token"))
        #expect(try store.setting(LocalStore.SyncKey.serverURL) == nil)
        #expect(try store.pendingCount() == 3)

        // Events of two authors (an old data folder) are refused before anything is sent.
        try store.db.run("UPDATE events SET author = 'ev-0303' WHERE seqno = 1")
        let sent = transport.requests.count
        let mixed = bench.cli("enroll", "--server", "https://grille.test", "--code", "CODE4")
        #expect(mixed.status == 1 && mixed.stderr.contains("ev-0303"), "\(mixed.stderr)")
        #expect(transport.requests.count == sent)
    }

    @Test func exportedEventsAndImportedReceiptsRoundTripLikeAPush() throws {
        let tmp = TemporaryDirectory("usb")
        defer { tmp.remove() }
        let server = FakeServer()
        server.reject = { $0.field == "note" ? PushRejection(id: $0.id, code: "session_frozen", message: "Session délibérée.", quarantined: true) : nil }
        let bench = SyncBench(tmp, clock: server.clock, transport: ScriptedTransport())
        let store = try bench.store()
        try store.setSetting(LocalStore.SyncKey.evaluator, "ev-0101")
        let written = try store.append(SyncFixtures.writes(5) + [.init(entity: SyncFixtures.grid, field: "note", value: .int(30))], author: "ev-0101")

        let file = tmp.sub("export.json")
        let exported = bench.cli("export-events", file)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.contains("6 saisie(s) exportée(s)"))
        let document = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(document["device"]?.stringValue == store.deviceID && document["evaluator"] == "ev-0101")
        let push = try PushRequest(json: document["push"] ?? .null)
        #expect(SyncEngineTests.events(of: push) == written)
        #expect(try store.pendingCount() == 6, "exported events stay pending until their receipts come back")
        #expect(bench.cli("export-events", file).status == 1, "an existing file is never overwritten")

        let answer = tmp.sub("answer.json")
        let response: JSONValue = ["device": .string(store.deviceID), "response": server.answer(push).json]
        try Data(response.canonicalBytes()).write(to: URL(fileURLWithPath: answer))
        let imported = bench.cli("import-receipts", answer)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("5 acceptée(s)") && imported.stdout.contains("1 refusée(s)"), "\(imported.stdout)")
        #expect(try store.pendingCount() == 0)
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE sync_state = 'accepted' AND receipt IS NOT NULL") == 5)
        let status = try JSONValue.parse(bench.cli("status", "--json").stdout)
        #expect(status["quarantined"]?.arrayValue?.first?["code"] == "session_frozen")
        #expect(try Materializer.fieldStates(entity: SyncFixtures.grid, in: store.db)["note"] == nil)

        // Applying the same answer again changes nothing; nothing is left to export.
        let hash = try store.stateHash()
        #expect(bench.cli("import-receipts", answer).status == 0)
        #expect(try store.stateHash() == hash)
        let nothing = bench.cli("export-events", tmp.sub("empty.json"))
        #expect(nothing.status == 0 && nothing.stdout.contains("Aucune saisie en attente"))
        #expect(!FileManager.default.fileExists(atPath: tmp.sub("empty.json")))
    }

    @Test func receiptsWithAClockSkewRefusalRestampTheEventsForTheNextExport() throws {
        let tmp = TemporaryDirectory("usbskew")
        defer { tmp.remove() }
        let serverClock = ManualClock(1_763_824_800_000)
        let server = FakeServer(clock: serverClock)
        let bench = SyncBench(tmp, clock: ManualClock(serverClock.nowMilliseconds() + 30 * 60_000), transport: ScriptedTransport())
        let store = try bench.store()
        try store.setSetting(LocalStore.SyncKey.evaluator, "ev-0101")
        let written = try store.append(SyncFixtures.writes(2), author: "ev-0101")
        #expect(bench.cli("export-events", tmp.sub("e.json")).status == 0)
        let push = try PushRequest(json: JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: tmp.sub("e.json"))))["push"] ?? .null)
        let response: JSONValue = ["device": .string(store.deviceID), "response": server.answer(push).json]
        try Data(response.canonicalBytes()).write(to: URL(fileURLWithPath: tmp.sub("a.json")))
        let imported = bench.cli("import-receipts", tmp.sub("a.json"))
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("avançait de 30 minutes"), "\(imported.stdout)")
        let restamped = try store.pendingEvents().map(\.event)
        #expect(restamped.map(\.id) == written.map(\.id))
        #expect(restamped.allSatisfy { $0.hlc.wall - serverClock.nowMilliseconds() <= SyncProtocol.defaultMaxSkewMilliseconds })
        #expect(server.answer(PushRequest(events: restamped)).accepted.count == 2)
    }

    /// Every bad input of the sync commands: a French message, a non-zero exit, nothing written.
    @Test func everyBadInputOfTheSyncCommandsIsRefusedAndWritesNothing() throws {
        let tmp = TemporaryDirectory("syncbad")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0101")
        try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final")
        let before = try agent.eventCount()
        let notJSON = tmp.sub("garbage.json")
        try Data("pas du json".utf8).write(to: URL(fileURLWithPath: notJSON))
        let wrongShape = tmp.sub("shape.json")
        try Data(#"{"device":"dev-x","response":{"accepted":[]}}"#.utf8).write(to: URL(fileURLWithPath: wrongShape))
        let otherDevice = tmp.sub("other.json")
        let answer = PushResponse(accepted: [], duplicates: [], rejected: [], epoch: "e", serverTime: 1)
        try Data(JSONValue.object(["device": "dev-0000000000000000", "response": answer.json]).canonicalBytes()).write(to: URL(fileURLWithPath: otherDevice))
        let existing = tmp.sub("exists.json")
        try Data("x".utf8).write(to: URL(fileURLWithPath: existing))
        let cases: [(args: [String], status: Int32, message: String)] = [
            (["enroll", "--server", "pas une adresse", "--code", "ABCD"], 1, "Adresse de serveur invalide"),
            (["enroll", "--server", "http://grille.ac-demo.fr", "--code", "ABCD"], 1, "Adresse de serveur invalide"),
            (["enroll", "--server", "https://user:pw@grille.test", "--code", "ABCD"], 1, "Adresse de serveur invalide"),
            (["enroll", "--server", "https://grille.test"], 2, "demande --server URL et --code"),
            (["enroll", "--code", "ABCD"], 2, "demande --server URL et --code"),
            (["enroll", "--server", "https://grille.test", "--code", "  "], 1, "Code d'inscription vide"),
            (["enroll", "--server", "http://127.0.0.1:1", "--code", "ABCD", "--reset"], 1, "Serveur injoignable"),
            (["enroll", "--server", "https://grille.test", "--code", "ABCD", "extra"], 2, "Utilisation"),
            (["sync"], 1, "n'est pas inscrit"),
            (["sync", "--reset"], 2, "ne prend pas l'option --reset"),
            (["serve", "--interval", "0"], 1, "Intervalle invalide"),
            (["serve", "--interval", "dix"], 1, "Intervalle invalide"),
            // Not enrolled, `serve` opens the enrollment page (Tests/Browser); a bad port is refused first.
            (["serve", "--port", "70000"], 1, "Port invalide"),
            (["serve", "--port", "dix"], 1, "Port invalide"),
            (["serve", "--port=-1"], 1, "Port invalide"),
            (["import-receipts", tmp.sub("absent.json")], 1, "Impossible de lire le fichier de reçus"),
            (["import-receipts", tmp.path], 1, "Impossible de lire le fichier de reçus"),
            (["import-receipts", notJSON], 1, "pas du JSON valide"),
            (["import-receipts", wrongShape], 1, "réponse mal formée"),
            (["import-receipts", otherDevice], 1, "concerne l'ordinateur « dev-0000000000000000 »"),
            (["import-receipts"], 2, "Utilisation"),
            (["export-events", existing], 1, "existe déjà"),
            (["export-events"], 2, "Utilisation"),
            (["status", "--code", "x"], 2, "ne prend pas l'option --code"),
        ]
        for (args, status, message) in cases {
            let result = try agent.run(args)
            #expect(result.status == status, "\(args): exit \(result.status), stderr \(result.stderr)")
            #expect(result.stderr.contains(message), "\(args): expected « \(message) » in « \(result.stderr) »")
            #expect(result.stdout.isEmpty, "\(args): printed \(result.stdout)")
        }
        #expect(try agent.eventCount() == before)
        #expect(!FileManager.default.fileExists(atPath: agent.data + "/token"))
        let status = try agent.json("status")
        #expect(status["server"] == .null && status["enrolled"] == false && status["pending"]?.intValue == Int64(before))
        #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == Data("x".utf8))
        #expect(Self.files(agent.data, prefix: "saisies-").isEmpty)

        // A data folder that was never created stays uncreated by `sync`.
        let fresh = tmp.sub("never")
        let result = try TestProcess.run("grille-agent", ["--data", fresh, "sync"])
        #expect(result.status == 1 && !FileManager.default.fileExists(atPath: fresh))
    }

    @Test func serveSyncsInALoopAndStopsOnSIGTERM() throws {
        let tmp = TemporaryDirectory("serve")
        defer { tmp.remove() }
        let bench = SyncBench(tmp, transport: ScriptedTransport())
        try bench.enrollDirectly(server: "http://127.0.0.1:1")
        let child = try TestProcess("grille-agent", ["--data", bench.data, "serve", "--interval", "1"])
        let deadline = Date().addingTimeInterval(30)
        while child.currentStderr.components(separatedBy: "Serveur injoignable").count < 3 && Date() < deadline && child.isRunning {
            usleep(50_000)
        }
        child.signal(SIGTERM)
        let result = child.wait(timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.signalled)
        #expect(result.stdout.contains("toutes les 1 s"))
        #expect(result.stdout.contains("Arrêt demandé"))
        #expect(result.stderr.components(separatedBy: "Serveur injoignable").count >= 3, "one line per failed sync: \(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: bench.data + "/token"), "an unreachable server deletes nothing")
    }
}

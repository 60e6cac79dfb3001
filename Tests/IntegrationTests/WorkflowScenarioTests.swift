import Foundation
import Testing
import TestSupport
@testable import Shared

@Suite(.serialized) struct WorkflowScenarioTests {
    static let grid = "grid/ndrc-e4-ccf/2026/02614001/final"

    /// Fills the final grid of 02614001 (option évènement) on one laptop and syncs it.
    static func fill(_ node: AgentNode) throws {
        try node.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        for c in ["prospection.1", "prospection.2", "prospection.3", "prospection.4", "evenement.1", "evenement.2", "evenement.3", "information.1", "information.2"] {
            try node.ok("grid", "set", grid, c, "S")
        }
        try node.ok("grid", "field", grid, "appreciation-A", "Prospection solide, Commentaire-Unique-Alpha.")
        try node.ok("grid", "field", grid, "appreciation-B", "Évènement réussi.")
        try node.ok("grid", "field", grid, "note", "14")
    }

    @Test func signaturesAcrossLaptopsResignAndHarmonisation() throws {
        let tmp = TemporaryDirectory("signs")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let teacher = AgentNode(tmp, "ev-0101"), pro = AgentNode(tmp, "ev-0102")
        try teacher.enroll(server)
        try pro.enroll(server)
        try Self.fill(teacher)
        _ = try teacher.sync()
        _ = try pro.sync()
        // Both sign offline on their own laptops.
        try teacher.ok("grid", "sign", Self.grid)
        try pro.ok("grid", "sign", Self.grid)
        for node in [teacher, pro, teacher] { _ = try node.sync() }
        for node in [teacher, pro] {
            let view = try node.final("02614001")
            #expect(view["status"]?.stringValue == "complete", "\(node.evaluator): \(view["status"] ?? .null)")
        }
        // A coordinator harmonises: the signatures stay valid; the jury sees it read-only.
        let harmonised = try server.cli(["harmonise", Self.grid, "--note", "15,5", "--reason", "Alignement sur les profils comparables", "--by", "ev-0104"])
        #expect(harmonised.status == 0, "\(harmonised.stderr)")
        for node in [teacher, pro] {
            _ = try node.sync()
            let view = try node.final("02614001")
            #expect(view["harmonisation"]?["note"]?.intValue == 31)
            #expect(view["retained_note"]?.intValue == 31)
            #expect(view["fields"]?["note"]?.intValue == 28)
            #expect(view["status"]?.stringValue == "complete")
            #expect(try node.run(["grid", "field", Self.grid, "harmonisation", "16"]).status == 1)
        }
        // The professional changes a level after both signed: « à re-signer » on every replica.
        try pro.ok("grid", "set", Self.grid, "evenement.2", "TS")
        for node in [pro, teacher] { _ = try node.sync() }
        for node in [teacher, pro] {
            let view = try node.final("02614001")
            #expect(view["status"]?.stringValue == "to_resign")
            #expect(view["signatures"]?.arrayValue?.count == 2)
            #expect(try node.ok("grid", "show", Self.grid).contains("à re-signer"))
        }
        // Both sign again: complete again.
        try pro.ok("grid", "sign", Self.grid)
        _ = try pro.sync(); _ = try teacher.sync()
        try teacher.ok("grid", "sign", Self.grid)
        _ = try teacher.sync(); _ = try pro.sync()
        #expect(try pro.final("02614001")["status"]?.stringValue == "complete")
        #expect(try teacher.hash(prefix: Self.grid) == (try server.hash(prefix: Self.grid)))
    }

    @Test func deliberationFreezesPublicationReleasesTheFicheAndPurgeLeavesNoByte() throws {
        let tmp = TemporaryDirectory("session")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let teacher = AgentNode(tmp, "ev-0101"), pro = AgentNode(tmp, "ev-0102")
        try teacher.enroll(server)
        try pro.enroll(server)
        try Self.fill(teacher)
        try teacher.ok("grid", "comment", Self.grid, "prospection.1", "Remarque-Très-Privée-Omega")
        _ = try teacher.sync()
        _ = try pro.sync()
        // Before publication: no fiche.
        let early = try server.cli(["export", "fiche", "02614001", "--format", "html", "--out", tmp.sub("early.html")])
        #expect(early.status == 1)
        #expect(early.stderr.contains("pas publiée"))
        #expect(!FileManager.default.fileExists(atPath: tmp.sub("early.html")))
        #expect(try server.cli(["export", "grille", "02614001"]).status == 2)   // no candidate-side V-4
        // The teacher writes offline and stays offline until after the purge.
        try teacher.ok("grid", "comment", Self.grid, "information.1", "Hors-Ligne-Sigma")
        // The professional edits offline; the session is deliberated meanwhile.
        _ = try pro.sync()
        try pro.ok("grid", "set", Self.grid, "prospection.4", "TS")
        #expect(try server.cli(["session", "deliberate", "2026", "--by", "ev-0112"]).status == 0)
        _ = try pro.sync()
        let quarantine = try JSONValue.parse(server.cli(["quarantine", "--json"]).stdout).arrayValue ?? []
        #expect(quarantine.contains { $0["code"]?.stringValue == "session_deliberated" && $0["event"]?["field"]?.stringValue == "level/prospection.4" })
        for node in [teacher, pro] {
            #expect(try node.final("02614001")["levels"]?["prospection.4"]?.stringValue == "S", "\(node.evaluator)")
        }
        #expect(try pro.hash(prefix: Self.grid) == (try server.hash(prefix: Self.grid)))
        // After publication the V-5 fiche can be exported, escaped and without the V-4 levels.
        #expect(try server.cli(["session", "publish", "2026", "--by", "ev-0112"]).status == 0)
        let fiche = try server.cli(["export", "fiche", "02614001", "--format", "html", "--out", tmp.sub("fiche.html")])
        #expect(fiche.status == 0, "\(fiche.stderr)")
        let html = try String(contentsOfFile: tmp.sub("fiche.html"), encoding: .utf8)
        #expect(html.contains("Fiche d'évaluation"))
        #expect(html.contains("14 / 20"))
        #expect(html.contains("Commentaire-Unique-Alpha"))
        #expect(!html.contains("Remarque-Très-Privée-Omega"))   // criterion comments belong to the V-4 grid

        // Purge, with the teacher's laptop offline holding an unsent change.
        server.stop()
        #expect(try server.cli(["purge", "--session", "2026", "--by", "ev-0112", "--yes"]).status == 1)   // before the retention date
        let purge = try server.cli(["purge", "--session", "2026", "--by", "ev-0112", "--yes", "--force"])
        #expect(purge.status == 0, "\(purge.stderr)")
        try server.start()
        _ = try pro.sync()
        let late = try teacher.run(["sync"])
        let said = late.stdout + late.stderr
        #expect(said.contains("purgée"), "\(said)")
        for secret in ["Remarque-Très-Privée-Omega", "Commentaire-Unique-Alpha", "Hors-Ligne-Sigma", "grid/ndrc-e4-ccf/2026/02614001"] {
            for file in [server.db, server.db + "-wal", server.db + "-journal",
                         teacher.data + "/agent.sqlite", teacher.data + "/agent.sqlite-wal",
                         pro.data + "/agent.sqlite", pro.data + "/agent.sqlite-wal"] {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                #expect(data.range(of: Data(secret.utf8)) == nil, "« \(secret) » left in \(file)")
            }
        }
        // The offline change was saved to a file for the user, not stored by the server.
        let saved = try FileManager.default.contentsOfDirectory(atPath: teacher.data).filter { $0.hasSuffix(".jsonl") }
        #expect(saved.count == 1)
        let text = try saved.map { try String(contentsOfFile: teacher.data + "/" + $0, encoding: .utf8) }.joined()
        #expect(text.contains("Hors-Ligne-Sigma"))
        let rows = try Database(path: server.db).scalarInt("SELECT count(*) FROM events WHERE entity LIKE 'grid/%'")
        #expect(rows == 0)
    }
}

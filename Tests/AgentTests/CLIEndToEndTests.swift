import Foundation
import Testing
import TestSupport
@testable import Shared

@Suite(.serialized) struct CLIEndToEndTests {
    @Test func aJuryFillsAnE4FinalGridWithTheEvenementOption() throws {
        let tmp = TemporaryDirectory("e2e")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0101")
        let id = try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final",
                              "--option", "evenement").trimmingWhitespace()
        #expect(id == "grid/ndrc-e4-ccf/2026/02614001/final")

        // Signing an incomplete grid is refused and names what is missing.
        let early = try agent.run("grid", "sign", "02614001/final")
        #expect(early.status == 1)
        #expect(early.stderr.contains("critères non renseignés"))
        #expect(early.stderr.contains("prospection.1"))
        #expect(early.stderr.contains("note sur 20"))

        let levels = ["prospection.1": "S", "prospection.2": "TS", "prospection.3": "S", "prospection.4": "I",
                      "evenement.1": "S", "evenement.2": "ts", "evenement.3": "S", "information.1": "TI", "information.2": "S"]
        for (criterion, level) in levels.sorted(by: { $0.key < $1.key }) {
            try agent.ok("grid", "set", "02614001/final", criterion, level)
        }
        try agent.ok("grid", "set", "02614001/final", "information.1", "S")   // the jury changes its mind
        try agent.ok("grid", "comment", "02614001/final", "evenement.2", "Animation vivante, bonne gestion du temps.")
        try agent.ok("grid", "field", "02614001/final", "appreciation-A", "Prospection rigoureuse, réseau à développer.")
        try agent.ok("grid", "field", "02614001/final", "appreciation-B", "Évènement bien organisé ; bilan précis.")
        try agent.ok("grid", "field", "02614001/final", "note", "14,5")

        let ready = try agent.json("grid", "show", "02614001/final")
        #expect(ready["status"]?.stringValue == "ready_to_sign")
        #expect(ready["missing"]?.arrayValue == [])
        #expect(ready["fields"]?["note"]?.intValue == 29)
        #expect(ready["levels"]?["evenement.2"]?.stringValue == "TS")
        #expect(ready["levels"]?["information.1"]?.stringValue == "S")
        #expect(ready["option"]?.stringValue == "evenement")
        #expect(ready["comments"]?["evenement.2"]?.stringValue == "Animation vivante, bonne gestion du temps.")
        #expect(ready["conflicts"]?.arrayValue == [])

        try agent.ok("grid", "sign", "02614001/final")
        let signed = try agent.json("grid", "show", "02614001/final")
        #expect(signed["status"]?.stringValue == "signed")
        #expect(signed["signatures"]?.arrayValue?.count == 1)
        #expect(signed["signatures"]?.arrayValue?.first?["evaluator"]?.stringValue == "ev-0101")
        #expect(signed["signatures"]?.arrayValue?.first?["valid"]?.boolValue == true)

        // Changing a signed value turns the signature into « à re-signer », never removes it.
        try agent.ok("grid", "field", "02614001/final", "note", "15")
        let changed = try agent.json("grid", "show", "02614001/final")
        #expect(changed["status"]?.stringValue == "to_resign")
        #expect(changed["signatures"]?.arrayValue?.first?["valid"]?.boolValue == false)
        #expect(try agent.ok("grid", "show", "02614001/final").contains("à re-signer"))

        // History keeps the replaced value with its author, device and time.
        let history = try agent.json("grid", "history", "02614001/final", "--criterion", "information.1")
        let events = history.arrayValue?.first { $0["field"]?.stringValue == "level/information.1" }?["events"]?.arrayValue ?? []
        #expect(events.map { $0["value"]?.stringValue } == ["S", "TI"])
        #expect(events.first?["winner"]?.boolValue == true)
        #expect(events.last?["author"]?.stringValue == "ev-0101")
        #expect(events.last?["device"]?.stringValue?.hasPrefix("dev-") == true)
        let text = try agent.ok("grid", "history", "02614001/final")
        #expect(text.contains("remplacé"))

        // `grid new` on the existing final grid prints its id and says so.
        let again = try agent.run("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final")
        #expect(again.status == 0)
        #expect(again.stdout.trimmingWhitespace() == id)
        #expect(again.stderr.contains("existe déjà"))

        // Rebuilding from the log gives the same state.
        let rebuild = try agent.json("rebuild")
        #expect(rebuild["identical"]?.boolValue == true)
        #expect(try agent.json("grids").arrayValue?.count == 1)
    }

    /// Every bad input: a French message, a non-zero exit, nothing written.
    @Test func everyBadInputIsRefusedWithAFrenchMessageAndWritesNothing() throws {
        let tmp = TemporaryDirectory("bad")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0101")
        try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        try agent.ok("grid", "new", "--candidate", "02614002", "--template", "ndrc-e4-ccf", "--situation", "final")
        let a1 = try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "A").trimmingWhitespace()
        #expect(a1.hasPrefix("grid/ndrc-e4-ccf/2026/02614001/A-"))
        let before = try agent.eventCount()
        let g = "02614001/final"
        let longText = String(repeating: "é", count: 10_001)
        let cases: [(args: [String], status: Int32, message: String)] = [
            (["grid", "new", "--candidate", "99999999", "--template", "ndrc-e4-ccf", "--situation", "final"], 1, "Candidat inconnu"),
            (["grid", "new", "--candidate", "02614001", "--template", "ndrc-e9", "--situation", "final"], 1, "Modèle de grille inconnu"),
            (["grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--session", "2031", "--situation", "final"], 1, "Session inconnue"),
            (["grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "C"], 1, "Situation inconnue"),
            (["grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "vente"], 1, "Option inconnue"),
            (["grid", "new", "--candidate", "02614013", "--template", "ndrc-e4-ccf", "--situation", "final"], 1, "ne siégez pas"),
            (["grid", "new", "--candidate", "02614001"], 2, "demande --candidate"),
            (["grid", "set", g, "prospection.9", "S"], 1, "Critère inconnu"),
            (["grid", "set", g, "prospection.1", "B"], 1, "Niveau inconnu"),
            (["grid", "set", g, "prospection.1", ""], 1, "Niveau inconnu"),
            (["grid", "set", g, "negociation.1", "S"], 1, "relève de l'option"),
            (["grid", "set", "02614002/final", "evenement.1", "S"], 1, "choisissez d'abord l'option"),
            (["grid", "set", a1, "evenement.1", "S"], 1, "ne s'évalue pas en situation A"),
            (["grid", "set", g, "prospection.1"], 2, "Utilisation"),
            (["grid", "field", g, "note", "21"], 1, "Note invalide"),
            (["grid", "field", g, "note", "14,3"], 1, "Note invalide"),
            (["grid", "field", g, "note", "-1"], 1, "Note invalide"),
            (["grid", "field", g, "note", "quinze"], 1, "Note invalide"),
            (["grid", "field", g, "note", "14,55"], 1, "Note invalide"),
            (["grid", "field", g, "option", "vente"], 1, "Option inconnue"),
            (["grid", "field", a1, "date", "2026-02-30"], 1, "Date invalide"),
            (["grid", "field", g, "couleur", "bleu"], 1, "Champ inconnu"),
            (["grid", "field", g, "recommendations", "À retravailler"], 1, "ne s'utilise pas en situation final"),
            (["grid", "field", a1, "note", "12"], 1, "ne s'utilise pas en situation A"),
            (["grid", "comment", g, "prospection.1", ""], 1, "vide"),
            (["grid", "comment", g, "prospection.1", "   "], 1, "vide"),
            (["grid", "comment", g, "prospection.1", longText], 1, "dépasse 10000 caractères"),
            (["grid", "field", g, "appreciation-A", longText], 1, "dépasse 10000 caractères"),
            (["grid", "show", "grid/ndrc-e4-ccf/2026/00000000/final"], 1, "Grille inconnue"),
            (["grid", "set", "zzz", "prospection.1", "S"], 1, "Grille inconnue"),
            (["grid", "set", "final", "prospection.1", "S"], 1, "plusieurs grilles"),
            (["grid", "sign", g], 1, "Signature refusée"),
            (["grid", "sign", a1], 1, "seule la grille finale"),
            (["grid", "history", g, "--criterion", "nope.1"], 1, "Critère inconnu"),
            (["grids", "--candidate", "123"], 1, "Candidat inconnu"),
            (["whoami", "--as", "ev-9999"], 1, "Évaluateur inconnu"),
            (["grid", "explode", g], 2, "Sous-commande inconnue"),
            (["dance"], 2, "Commande inconnue"),
            (["grid", "show", g, "--colour"], 2, "Option inconnue"),
            (["grid", "set", g, "prospection.1", "S", "--json"], 2, "ne prend pas l'option --json"),
            (["roster", "import", tmp.sub("nowhere")], 1, "Liste refusée"),
        ]
        for (args, status, message) in cases {
            let result = try agent.run(args)
            #expect(result.status == status, "\(args): exit \(result.status), stderr \(result.stderr)")
            #expect(result.stderr.contains(message), "\(args): expected « \(message) » in « \(result.stderr) »")
            #expect(result.stdout.isEmpty, "\(args): printed \(result.stdout)")
        }
        #expect(try agent.eventCount() == before, "a refused command wrote an event")
        let show = try agent.json("grid", "show", g)
        #expect(show["levels"]?.objectValue?.isEmpty == true)
        #expect(show["fields"]?["note"] == nil)
    }

    @Test func aCorruptDatabaseFileIsRefusedAndLeftUntouched() throws {
        let tmp = TemporaryDirectory("corrupt")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try FileManager.default.createDirectory(atPath: agent.data, withIntermediateDirectories: true)
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let file = agent.data + "/agent.sqlite"
        try garbage.write(to: URL(fileURLWithPath: file))
        for args in [["log"], ["whoami"], ["roster", "import", Repository.demoRoster]] {
            let result = try agent.run(args)
            #expect(result.status == 1, "\(args)")
            #expect(result.stderr.contains("endommagé"), "\(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == garbage)
    }

    @Test func aDatabaseFromANewerSchemaIsRefused() throws {
        let tmp = TemporaryDirectory("newer")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.ok("log")
        let db = try Database(path: agent.data + "/agent.sqlite")
        try db.execute("PRAGMA user_version = 99")
        let result = try agent.run("log")
        #expect(result.status == 1)
        #expect(result.stderr.contains("version plus récente"))
    }

    @Test func aDataDirectoryThatCannotBeWrittenIsRefused() throws {
        let tmp = TemporaryDirectory("ro")
        defer { tmp.remove() }
        let file = tmp.sub("plain-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        for data in [file, file + "/sub"] {
            let result = try TestProcess.run("grille-agent", ["--data", data, "log"])
            #expect(result.status == 1, "\(data)")
            #expect(result.stderr.contains("dossier"), "\(result.stderr)")
        }
    }

    @Test func theDataDirectoryComesFromTheOptionThenGrilleHomeAndIsPrivate() throws {
        let tmp = TemporaryDirectory("home")
        defer { tmp.remove() }
        let home = tmp.sub("from-env")
        let viaEnv = try TestProcess.run("grille-agent", ["roster", "import", Repository.demoRoster], environment: ["GRILLE_HOME": home])
        #expect(viaEnv.status == 0, "\(viaEnv.stderr)")
        #expect(FileManager.default.fileExists(atPath: home + "/agent.sqlite"))
        let mode = try FileManager.default.attributesOfItem(atPath: home)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        // --data after the subcommand works too.
        let after = try TestProcess.run("grille-agent", ["whoami", "--as", "ev-0101", "--data", home])
        #expect(after.status == 0, "\(after.stderr)")
        let fallback = try TestProcess.run("grille-agent", ["log"], environment: ["HOME": tmp.sub("user")])
        #expect(fallback.status == 0)
        #expect(FileManager.default.fileExists(atPath: tmp.sub("user") + "/.local/share/grille/agent.sqlite"))
    }

    @Test func versionAndHelp() throws {
        let version = try TestProcess.run("grille-agent", ["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.contains(Grille.version))
        let help = try TestProcess.run("grille-agent", ["--help"])
        #expect(help.stdout.contains("grid new"))
    }
}

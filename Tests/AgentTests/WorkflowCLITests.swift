import Foundation
import Testing
import TestSupport
@testable import Shared

/// The CCF workflow through the real `grille-agent` binary: pre-filled final grid, confirmation,
/// signatures for oneself and by name with a witness, FDAP and fiche sujet, conformity (annexe V-8).
@Suite(.serialized) struct WorkflowCLITests {
    /// Creates an interview grid dated `date` with `levels`; returns its id.
    static func interview(_ agent: AgentHarness, candidate: String, date: String, levels: [(String, String)]) throws -> String {
        let id = try agent.ok("grid", "new", "--candidate", candidate, "--template", "ndrc-e4-ccf", "--situation", "A").trimmingWhitespace()
        try agent.ok("grid", "field", id, "date", date)
        for (criterion, level) in levels { try agent.ok("grid", "set", id, criterion, level) }
        return id
    }

    @Test func aPrefilledFinalGridIsConfirmedThenSignedByTheTeacherAndCoSignedByNameWithAWitness() throws {
        let tmp = TemporaryDirectory("prefill")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0101")
        let candidate = "02614003"
        // The latest interview by date wins, whatever the order of entry; on the same date, the later entry.
        let late = try Self.interview(agent, candidate: candidate, date: "2026-02-10", levels: [("prospection.1", "TS")])
        let early = try Self.interview(agent, candidate: candidate, date: "2026-01-10",
                                       levels: [("prospection.1", "I"), ("prospection.2", "I"), ("information.1", "S")])
        let sameDay = try Self.interview(agent, candidate: candidate, date: "2026-01-10", levels: [("prospection.2", "S")])
        let b = try agent.ok("grid", "new", "--candidate", candidate, "--template", "ndrc-e4-ccf", "--situation", "B",
                             "--option", "negociation").trimmingWhitespace()
        try agent.ok("grid", "set", b, "negociation.1", "S")
        try agent.ok("grid", "set", b, "negociation.2", "TS")

        let created = try agent.json("grid", "new", "--candidate", candidate, "--template", "ndrc-e4-ccf", "--situation", "final", "--prefill")
        let final = try #require(created["id"]?.stringValue)
        #expect(created["option"]?.stringValue == "negociation", "the option comes from the B grid")
        let prefilled = Dictionary(uniqueKeysWithValues: (created["prefilled"]?.arrayValue ?? []).map {
            ($0["criterion"]?.stringValue ?? "", ($0["level"]?.stringValue ?? "", $0["source"]?.stringValue ?? ""))
        })
        #expect(prefilled["prospection.1"]?.0 == "TS" && prefilled["prospection.1"]?.1 == late)
        #expect(prefilled["prospection.2"]?.0 == "S" && prefilled["prospection.2"]?.1 == sameDay)
        #expect(prefilled["information.1"]?.0 == "S" && prefilled["information.1"]?.1 == early)
        #expect(prefilled["negociation.1"]?.0 == "S" && prefilled["negociation.1"]?.1 == b)
        #expect(prefilled["negociation.2"]?.0 == "TS")
        #expect(prefilled.count == 5)
        #expect(created["unsourced"]?.arrayValue?.compactMap(\.stringValue) == ["prospection.3", "prospection.4", "information.2"])

        // The level and its mark are in the log, one pair per criterion, from one transaction.
        let log = try agent.json("log").arrayValue ?? []
        let marks = log.filter { $0["entity"]?.stringValue == final && $0["field"]?.stringValue?.hasPrefix("prefill/") == true }
        #expect(marks.count == 5)
        #expect(marks.first { $0["field"]?.stringValue == "prefill/prospection.1" }?["value"]?.stringValue == "TS")

        let shown = try agent.json("grid", "show", final)
        #expect(shown["levels"]?["prospection.1"]?.stringValue == "TS")
        #expect(shown["unconfirmed_prefills"]?.arrayValue?.count == 5)
        #expect(try agent.ok("grid", "show", final).contains("(pré-rempli, à confirmer)"))

        for (criterion, level) in [("prospection.3", "S"), ("prospection.4", "S"), ("information.2", "I")] {
            try agent.ok("grid", "set", final, criterion, level)
        }
        try agent.ok("grid", "field", final, "appreciation-A", "Prospection méthodique.")
        try agent.ok("grid", "field", final, "appreciation-B", "Négociation solide.")
        try agent.ok("grid", "field", final, "note", "15")
        let blocked = try agent.run("grid", "sign", final)
        #expect(blocked.status == 1)
        #expect(blocked.stderr.contains("valeurs pré-remplies à confirmer"))

        // Changing a pre-filled level confirms it; `grid confirm` confirms one, then the rest.
        try agent.ok("grid", "set", final, "prospection.1", "S")
        #expect(try agent.ok("grid", "confirm", final, "prospection.2").contains("Confirmé : prospection.2 S"))
        let partly = try agent.json("grid", "show", final)
        #expect(partly["unconfirmed_prefills"]?.arrayValue?.compactMap(\.stringValue) == ["information.1", "negociation.1", "negociation.2"])
        #expect(partly["levels"]?["prospection.2"]?.stringValue == "S", "confirming keeps the level")
        #expect(try agent.ok("grid", "confirm", final, "--all").contains("negociation.2 TS"))
        #expect(try agent.ok("grid", "confirm", final, "--all").contains("Aucune valeur pré-remplie"))

        try agent.ok("grid", "sign", final)
        #expect(try agent.json("grid", "show", final)["status"]?.stringValue == "signed")
        let cosign = try agent.ok("grid", "sign", final, "--name", "benali  KARIM", "--witness")
        #expect(cosign.contains("co-signée par benali  KARIM (ev-0102)"))
        let complete = try agent.json("grid", "show", final)
        #expect(complete["status"]?.stringValue == "complete")
        #expect(complete["unsigned_members"]?.arrayValue == [])
        let witnessed = complete["signatures"]?.arrayValue?.first { $0["evaluator"]?.stringValue == "ev-0102" }
        #expect(witnessed?["name"]?.stringValue == "benali  KARIM")
        #expect(witnessed?["witness"]?.stringValue == "ev-0101")
        #expect(witnessed?["valid"]?.boolValue == true)
        let text = try agent.ok("grid", "show", final)
        #expect(text.contains("co-signée sous le nom « benali  KARIM » en présence de LAMBERT Claire (ev-0101) : valide"))
        #expect(try agent.json("candidate", "show", candidate)["status"]?.stringValue == "complete")

        // Pre-filling again finds nothing to do: levels already present are never replaced.
        let again = try agent.run("grid", "new", "--candidate", candidate, "--template", "ndrc-e4-ccf", "--situation", "final", "--prefill")
        #expect(again.status == 0)
        #expect(again.stderr.contains("Aucune valeur à pré-remplir"))
        #expect(try agent.json("grid", "show", final)["status"]?.stringValue == "complete")
    }

    /// Every refused input of the workflow commands: a French message, the right exit code, nothing written.
    @Test func everyBadWorkflowInputIsRefusedWithAFrenchMessageAndWritesNothing() throws {
        let tmp = TemporaryDirectory("workflow-bad")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0101")
        let g = try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final",
                             "--option", "evenement").trimmingWhitespace()
        let a1 = try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "A").trimmingWhitespace()
        let b = try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "B").trimmingWhitespace()
        func file(_ name: String, _ text: String) throws -> String {
            let path = tmp.sub(name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        let big = try file("big.json", "{\"contexte\": \"" + String(repeating: "a", count: 70_000) + "\"}")
        let broken = try file("broken.json", "{\"contexte\": ")
        let array = try file("array.json", "[\"contexte\"]")
        let empty = try file("empty.json", "{}")
        let number = try file("number.json", "{\"duree\": 15}")
        let good = try file("good.json", "{\"contexte\": \"Salon\", \"consignes\": \"Accueillir\"}")
        let before = try agent.eventCount()
        let cases: [(args: [String], status: Int32, message: String)] = [
            (["grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "A", "--prefill"], 2, "--prefill ne s'utilise qu'avec --situation final"),
            (["grid", "confirm", g], 2, "Utilisation : grille-agent grid confirm"),
            (["grid", "confirm", g, "prospection.1", "--all"], 2, "Utilisation : grille-agent grid confirm"),
            (["grid", "confirm", g, "prospection.1"], 1, "n'a pas de valeur pré-remplie à confirmer"),
            (["grid", "confirm", g, "nope.1"], 1, "Critère inconnu"),
            (["grid", "sign", g, "--name", "BENALI Karim"], 2, "--name et --witness vont ensemble"),
            (["grid", "sign", g, "--witness"], 2, "--name et --witness vont ensemble"),
            (["grid", "sign", g, "--name", "LAMBERT Claire", "--witness"], 1, "est votre nom"),
            (["grid", "sign", g, "--name", "claire lambert", "--witness"], 1, "est votre nom"),
            (["grid", "sign", g, "--name", "Dupont Jean", "--witness"], 1, "Aucun membre de la commission cm-e4-01 ne s'appelle « Dupont Jean ». Membres : LAMBERT Claire (ev-0101), BENALI Karim (ev-0102)."),
            (["grid", "sign", g, "--name", "FONTAINE Marc", "--witness"], 1, "Aucun membre de la commission cm-e4-01"),
            (["grid", "sign", g, "--name", "  ", "--witness"], 1, "Nom vide"),
            (["grid", "sign", g, "--name", "BENALI Karim", "--witness"], 1, "Signature refusée"),
            (["grid", "fdap", b, "--number", "2"], 2, "grid fdap demande --number et --title"),
            (["grid", "fdap", g, "--number", "2", "--title", "Salon"], 1, "Le champ « fdap » ne s'utilise pas en situation final"),
            (["grid", "fdap", a1, "--number", "2", "--title", "Salon"], 1, "Le champ « fdap » ne s'utilise pas en situation A"),
            (["grid", "fdap", b, "--number", " ", "--title", "Salon"], 1, "La FDAP se décrit par un numéro et un titre"),
            (["grid", "subject", b], 2, "grid subject demande --file"),
            (["grid", "subject", b, "--file", tmp.sub("missing.json")], 1, "Fichier introuvable"),
            (["grid", "subject", b, "--file", tmp.path], 1, "est un dossier"),
            (["grid", "subject", b, "--file", big], 1, "dépasse 64 Kio"),
            (["grid", "subject", b, "--file", broken], 1, "n'est pas un JSON valide"),
            (["grid", "subject", b, "--file", array], 1, "doit contenir un objet JSON de champs texte"),
            (["grid", "subject", b, "--file", empty], 1, "La fiche sujet se décrit par des champs de texte"),
            (["grid", "subject", b, "--file", number], 1, "La fiche sujet se décrit par des champs de texte"),
            (["grid", "subject", g, "--file", good], 1, "Le champ « subject » ne s'utilise pas en situation final"),
            (["grid", "field", g, "harmonisation", "15"], 1, "Champ inconnu « harmonisation »"),
            (["conformity", "set", "02614001", "ok"], 2, "inscrit à plusieurs épreuves (ndrc-e4-ccf 2026, ndrc-e6-ccf 2026) : précisez --template et --session"),
            (["conformity", "set", "02614001", "peut-être", "--template", "ndrc-e4-ccf"], 1, "Conformité inconnue « peut-être » : choisissez ok (conforme), absent (AB)"),
            (["conformity", "set", "99999999", "ok"], 1, "Candidat inconnu"),
            (["conformity", "set", "02614013", "ok"], 1, "ne siégez pas dans la commission cm-e4-02"),
            (["conformity", "set", "02614001", "ok", "--template", "ndrc-e9"], 1, "n'est pas inscrit à l'épreuve « ndrc-e9 »"),
            (["conformity", "set", "02614001", "ok", "--template", "ndrc-e4-ccf", "--session", "2031"], 1, "Session inconnue « 2031 »"),
            (["conformity", "set", "02614001"], 2, "Utilisation"),
            (["conformity", "show", "99999999"], 1, "Candidat inconnu"),
            (["conformity", "erase", "02614001"], 2, "Sous-commande inconnue « conformity erase »"),
            (["candidate", "show", "99999999"], 1, "Candidat inconnu"),
            (["candidate", "list"], 2, "Utilisation : grille-agent candidate show"),
        ]
        for (args, status, message) in cases {
            let result = try agent.run(args)
            #expect(result.status == status, "\(args): exit \(result.status), stderr \(result.stderr)")
            #expect(result.stderr.contains(message), "\(args): expected « \(message) » in « \(result.stderr) »")
            #expect(result.stdout.isEmpty, "\(args): printed \(result.stdout)")
        }
        #expect(try agent.eventCount() == before, "a refused command wrote an event")
    }

    @Test func fdapAndSubjectAreWrittenAsOneFieldEachOnTheSimulationGrid() throws {
        let tmp = TemporaryDirectory("sheets")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0101")
        let b = try agent.ok("grid", "new", "--candidate", "02614002", "--template", "ndrc-e4-ccf", "--situation", "B",
                             "--option", "evenement").trimmingWhitespace()
        #expect(try agent.ok("grid", "fdap", b, "--number", " 2 ", "--title", "Salon de l'habitat").contains("FDAP enregistrée : n° 2 — Salon de l'habitat."))
        let sheet = tmp.sub("fiche.json")
        try Data("{\"contexte\": \"Salon régional\", \"consignes_jury\": \"Le client hésite sur le prix.\"}".utf8).write(to: URL(fileURLWithPath: sheet))
        #expect(try agent.ok("grid", "subject", b, "--file", sheet).contains("Fiche sujet enregistrée (2 champ(s))"))
        let shown = try agent.json("grid", "show", b)
        #expect(shown["fields"]?["fdap"] == ["number": "2", "title": "Salon de l'habitat"])
        #expect(shown["fields"]?["subject"]?["consignes_jury"]?.stringValue == "Le client hésite sur le prix.")
        let text = try agent.ok("grid", "show", b)
        #expect(text.contains("fdap : n° 2 — Salon de l'habitat"))
        #expect(text.contains("contexte : Salon régional"))
        let fields = (try agent.json("log").arrayValue ?? []).compactMap { $0["field"]?.stringValue }
        #expect(fields.filter { $0 == "fdap" || $0 == "subject" }.count == 2)
        let candidate = try agent.json("candidate", "show", "02614002")
        let registration = candidate["registrations"]?.arrayValue?.first { $0["template"]?.stringValue == "ndrc-e4-ccf" }
        #expect(registration?["simulation"]?["fdap"]?["title"]?.stringValue == "Salon de l'habitat")
    }

    @Test(arguments: [
        ("ok", "conforming", "conforme"),
        ("absent", "absent", "absent (AB)"),
        ("no_dossier", "no_dossier", "non conforme (NV) : absence de dépôt du dossier à la date fixée"),
        ("late_dossier", "late_dossier", "non conforme (NV) : dépôt du dossier après la date fixée"),
        ("short_internship", "short_internship", "non conforme (NV) : durée de stage ou d'expérience professionnelle inférieure à la durée requise"),
        ("no_attestation", "no_attestation", "non conforme (NV) : absence d'attestation de stage ou de certificat de travail"),
        ("unsigned_documents", "unsigned_documents", "non conforme (NV) : documents non signés par les personnes habilitées"),
    ])
    func everyConformityWordIsAccepted(typed: String, stored: String, label: String) throws {
        let tmp = TemporaryDirectory("conformity")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0102")   // a professional of the commission records conformity too
        // 02614003 has one registration: template and session are inferred.
        #expect(try agent.ok("conformity", "set", "02614003", typed).contains(label))
        let shown = try agent.json("conformity", "show", "02614003")
        let registration = shown["registrations"]?.arrayValue?.first
        #expect(registration?["conformity"]?.stringValue == stored)
        #expect(registration?["label"]?.stringValue == label)
        let log = try agent.json("log").arrayValue ?? []
        #expect(log.last?["entity"]?.stringValue == "conformity/2026/02614003/ndrc-e4-ccf")
        #expect(log.last?["field"]?.stringValue == "status")
    }
}

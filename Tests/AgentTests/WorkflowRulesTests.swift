import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import Shared

/// The CCF rules the agent enforces before writing (GRIDS.md, "Rules"; issue « CCF workflow »), in
/// process: who writes interview grids, closed sessions, non-conforming and absent candidates,
/// read-only harmonisation, and what `candidate show` reports.
@Suite struct WorkflowRulesTests {
    static let e4 = "grid/ndrc-e4-ccf/2026"

    // MARK: - Situation A: a bloc-1 teacher only

    @Test func aProfessionalNeitherOpensNorWritesInterviewGridsButWritesTheOthers() throws {
        let tmp = TemporaryDirectory("interviewer")
        defer { tmp.remove() }
        let pro = try WorkflowBench(tmp, as: "ev-0102")
        // An interview grid of the teacher, pulled from the server.
        let interview = "\(Self.e4)/02614001/A-7f3a9c21"
        try pro.remote(interview, "status", "draft", author: "ev-0101")
        try pro.remote(interview, "date", "2026-01-12", author: "ev-0101")
        try pro.remote(interview, "level/prospection.1", "S", author: "ev-0101")
        let before = try pro.eventCount()
        let refusal = "Les grilles d'entretien (situation A) sont tenues par un enseignant du bloc 1 : vous (ev-0102) êtes enregistré comme professionnel, saisie refusée."
        let refused: [[String]] = [
            ["grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "A"],
            ["grid", "set", "A-7f3a9c21", "prospection.1", "TS"],
            ["grid", "clear", "A-7f3a9c21", "prospection.1"],
            ["grid", "comment", "A-7f3a9c21", "prospection.1", "Bien ciblé."],
            ["grid", "field", "A-7f3a9c21", "date", "2026-01-13"],
            ["grid", "field", "A-7f3a9c21", "recommendations", "Élargir le portefeuille."],
        ]
        for args in refused {
            let result = pro.cli(args)
            #expect(result.status == 1, "\(args): \(result.stderr)")
            #expect(result.stderr == refusal, "\(args)")
        }
        #expect(try pro.eventCount() == before)
        // Reading the interview is allowed; so are the simulation and the final grid.
        #expect(pro.ok("grid", "show", "A-7f3a9c21").contains("prospection.1    S"))
        let b = pro.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "B", "--option", "evenement")
            .trimmingWhitespace()
        #expect(pro.ok("grid", "set", b, "evenement.1", "TS").contains("evenement.1 : TS enregistré."))
        let final = pro.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
            .trimmingWhitespace()
        #expect(pro.ok("grid", "set", final, "prospection.1", "S").contains("enregistré"))

        // The teacher of the commission writes interview grids.
        let teacher = try WorkflowBench(tmp, name: "teacher", as: "ev-0101")
        let own = teacher.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "A").trimmingWhitespace()
        #expect(own.hasPrefix("\(Self.e4)/02614001/A-"))
        #expect(teacher.ok("grid", "field", own, "recommendations", "Qualifier les prospects.").contains("enregistré"))
    }

    // MARK: - Closed sessions

    @Test(arguments: [("deliberated", "délibérée"), ("published", "publiée")])
    func everyWriteOnAClosedSessionIsRefusedAndReadingStillWorks(state: String, label: String) throws {
        let tmp = TemporaryDirectory("closed")
        defer { tmp.remove() }
        let agent = try WorkflowBench(tmp, as: "ev-0101")
        let final = agent.readyFinalGrid("02614001")
        let a = agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "A").trimmingWhitespace()
        let b = agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "B").trimmingWhitespace()
        let sheet = tmp.sub("fiche.json")
        try Data("{\"contexte\": \"Salon\"}".utf8).write(to: URL(fileURLWithPath: sheet))
        try agent.remote(SessionState.entity("2026"), SessionState.field, .string(state), author: "server")
        let before = try agent.eventCount()
        let message = "La session 2026 est \(label) : elle est close et n'accepte plus aucune saisie (le serveur la mettrait en quarantaine). Pour une correction, adressez-vous au coordonnateur."
        let writes: [[String]] = [
            ["grid", "new", "--candidate", "02614002", "--template", "ndrc-e4-ccf", "--situation", "final"],
            ["grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--prefill"],
            ["grid", "set", final, "prospection.1", "TS"],
            ["grid", "clear", final, "prospection.1"],
            ["grid", "comment", final, "prospection.1", "Après coup."],
            ["grid", "field", final, "note", "16"],
            ["grid", "confirm", final, "--all"],
            ["grid", "sign", final],
            ["grid", "sign", final, "--name", "BENALI Karim", "--witness"],
            ["grid", "set", a, "prospection.1", "S"],
            ["grid", "fdap", b, "--number", "1", "--title", "Salon"],
            ["grid", "subject", b, "--file", sheet],
            ["conformity", "set", "02614001", "ok", "--template", "ndrc-e4-ccf"],
        ]
        for args in writes {
            let result = agent.cli(args)
            #expect(result.status == 1, "\(args): \(result.stderr)")
            #expect(result.stderr == message, "\(args): \(result.stderr)")
        }
        #expect(try agent.eventCount() == before)
        #expect(agent.ok("grid", "show", final).contains("Note proposée par le jury : 14,5/20"))
        let shown = try agent.json("candidate", "show", "02614001")
        #expect(shown["registrations"]?.arrayValue?.first?["session_state"]?.stringValue == state)
        #expect(agent.ok("candidate", "show", "02614001").contains("session 2026 (\(label))"))
    }

    @Test func anOpenSessionStateAcceptsWrites() throws {
        let tmp = TemporaryDirectory("open")
        defer { tmp.remove() }
        let agent = try WorkflowBench(tmp, as: "ev-0101")
        try agent.remote(SessionState.entity("2026"), SessionState.field, "open", author: "server")
        let final = agent.readyFinalGrid("02614001")
        #expect(agent.ok("grid", "sign", final).contains("Grille signée par Claire Lambert"))
    }

    // MARK: - Conformity (annexe V-8)

    @Test(arguments: [
        ("no_dossier", "nv", "le candidat n'est pas évalué : non conforme (NV) : absence de dépôt du dossier à la date fixée", "NV"),
        ("short_internship", "nv", "le candidat n'est pas évalué : non conforme (NV) : durée de stage", "NV"),
        ("absent", "absent", "le candidat est absent (AB)", "AB"),
    ])
    func aNonConformingOrAbsentCandidateCanBeRatedButNotSigned(reason: String, status: String, blocker: String, mention: String) throws {
        let tmp = TemporaryDirectory("nv")
        defer { tmp.remove() }
        let agent = try WorkflowBench(tmp, as: "ev-0101")
        let final = agent.readyFinalGrid("02614004")
        let set = agent.ok("conformity", "set", "02614004", reason)
        #expect(set.contains("les relevés indiqueront \(mention)"))
        // Levels can still be written…
        #expect(agent.ok("grid", "set", final, "prospection.1", "TS").contains("enregistré"))
        // … but neither the member nor a witnessed co-signature signs.
        for args in [["grid", "sign", final], ["grid", "sign", final, "--name", "Karim Benali", "--witness"]] {
            let refused = agent.cli(args)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("Signature refusée"), "\(refused.stderr)")
            #expect(refused.stderr.contains(blocker), "\(refused.stderr)")
        }
        let shown = try agent.json("grid", "show", final)
        #expect(shown["status"]?.stringValue == status)
        #expect(shown["signatures"]?.arrayValue == [])
        let candidate = try agent.json("candidate", "show", "02614004")
        #expect(candidate["status"]?.stringValue == status)
        #expect(candidate["status_label"]?.stringValue == mention)
        #expect(candidate["registrations"]?.arrayValue?.first?["mention"]?.stringValue == mention)
        let listed = try agent.json("candidates").arrayValue?.first { $0["number"]?.stringValue == "02614004" }
        #expect(listed?["status"]?.stringValue == status)
        #expect(listed?["conformity"]?.stringValue == reason)
        #expect(agent.ok("candidates").contains("02614004  Roussel Chloé  ndrc-e4-ccf 2026  commission cm-e4-01  1 grille(s)  \(mention)"))
        // Once the conformity is corrected, the grid signs.
        agent.ok("conformity", "set", "02614004", "ok")
        #expect(agent.ok("grid", "sign", final).contains("Grille signée"))
    }

    @Test func aCoordinatorOfTheEstablishmentRecordsConformityAndAnotherEstablishmentsCannot() throws {
        let tmp = TemporaryDirectory("coordinator")
        defer { tmp.remove() }
        let coordinator = try WorkflowBench(tmp, as: "ev-0104")   // Lycée des Canuts
        #expect(coordinator.ok("conformity", "set", "02614003", "late_dossier").contains("dépôt du dossier après la date fixée"))
        let refused = coordinator.cli(["conformity", "set", "02614013", "ok"])   // another establishment's commission
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("ne siégez pas dans la commission cm-e4-02 qui évalue ce candidat et n'en coordonnez pas l'établissement"))
        let academy = try WorkflowBench(tmp, name: "academy", as: "ev-0112")
        #expect(academy.ok("conformity", "set", "02614013", "ok").contains("conforme"))
    }

    // MARK: - candidate show

    @Test func candidateShowFollowsTheCandidateFromToEvaluateToComplete() throws {
        let tmp = TemporaryDirectory("candidate")
        defer { tmp.remove() }
        let agent = try WorkflowBench(tmp, as: "ev-0101")
        func status() throws -> (String?, String?) {
            let shown = try agent.json("candidate", "show", "02614004")
            return (shown["status"]?.stringValue, shown["status_label"]?.stringValue)
        }
        #expect(try status() == ("to_evaluate", "à évaluer"))
        #expect(agent.ok("candidate", "show", "02614004").contains("Statut : à évaluer"))

        let second = agent.ok("grid", "new", "--candidate", "02614004", "--template", "ndrc-e4-ccf", "--situation", "A").trimmingWhitespace()
        agent.ok("grid", "field", second, "date", "2026-02-20")
        agent.ok("grid", "set", second, "prospection.1", "S")
        agent.ok("grid", "set", second, "information.1", "TS")
        let first = agent.ok("grid", "new", "--candidate", "02614004", "--template", "ndrc-e4-ccf", "--situation", "A").trimmingWhitespace()
        agent.ok("grid", "field", first, "date", "2026-01-15")
        agent.ok("grid", "set", first, "prospection.1", "I")
        #expect(try status() == ("in_progress", "en cours"))

        let final = agent.readyFinalGrid("02614004")
        #expect(try status() == ("to_sign", "à signer"))
        agent.ok("grid", "sign", final)
        #expect(try status() == ("to_sign", "à signer"), "signed but not by every member")
        agent.ok("grid", "sign", final, "--name", "BENALI Karim", "--witness")
        #expect(try status() == ("complete", "complet"))

        let shown = try agent.json("candidate", "show", "02614004")
        #expect(shown["candidate"]?["last_name"]?.stringValue == "Roussel")
        let registration = try #require(shown["registrations"]?.arrayValue?.first)
        #expect(registration["conformity"] == .null)
        #expect(registration["interviews"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [first, second], "interviews in date order")
        #expect(registration["interviews"]?.arrayValue?.first?["date"]?.stringValue == "2026-01-15")
        let progression = registration["progression"]
        #expect(progression?["prospection.1"] == [["date": "2026-01-15", "level": "I", "grid": .string(first)],
                                                  ["date": "2026-02-20", "level": "S", "grid": .string(second)]])
        #expect(progression?["information.1"]?.arrayValue?.count == 1)
        #expect(progression?["prospection.2"] == nil)
        #expect(registration["final"]?["status"]?.stringValue == "complete")
        #expect(registration["final"]?["note"]?.intValue == 29)
        #expect(registration["final"]?["retained_note"]?.intValue == 29)
        #expect(registration["simulation"] == .null)
        let text = agent.ok("candidate", "show", "02614004")
        #expect(text.contains("Candidat 02614004 — ROUSSEL Chloé — Lycée des Canuts (0691234A)"))
        #expect(text.contains("prospection.1    2026-01-15 I  →  2026-02-20 S"))
        #expect(text.contains("Statut : complet"))
    }

    @Test(arguments: [
        ([CandidateStatus.complete], CandidateStatus.complete),
        ([.toEvaluate, .toEvaluate], .toEvaluate),
        ([.complete, .toEvaluate], .inProgress),
        ([.toSign, .complete], .toSign),
        ([.nv, .complete], .complete),
        ([.nv, .nv], .nv),
        ([.inProgress, .absent], .inProgress),
    ])
    func aCandidateWithSeveralRegistrationsGetsTheLeastAdvancedStatus(statuses: [CandidateStatus], expected: CandidateStatus) {
        #expect(CandidateStatus.combined(statuses) == expected)
    }

    // MARK: - Harmonisation: read-only on the agent

    @Test func harmonisationIsShownReadOnlyInShowAndHistoryAndLeavesSignaturesValid() throws {
        let tmp = TemporaryDirectory("harmonisation")
        defer { tmp.remove() }
        let agent = try WorkflowBench(tmp, as: "ev-0101")
        let final = agent.readyFinalGrid("02614005")
        agent.ok("grid", "sign", final)
        try agent.remote(final, "signature/ev-0102", .object(["content": .string(try agent.json("grid", "show", final)["signed_content"]?.stringValue ?? "")]),
                         author: "ev-0102")
        #expect(try agent.json("grid", "show", final)["status"]?.stringValue == "complete")
        try agent.remote(final, GridField.harmonisation, Harmonisation(note: 30, reason: "Alignement sur la commission d'harmonisation.", by: "ev-0104").json,
                         author: "ev-0104")

        let shown = try agent.json("grid", "show", final)
        #expect(shown["status"]?.stringValue == "complete", "a harmonisation never invalidates a signature")
        #expect(shown["signatures"]?.arrayValue?.allSatisfy { $0["valid"]?.boolValue == true } == true)
        #expect(shown["fields"]?["note"]?.intValue == 29, "the jury's proposal stays")
        #expect(shown["harmonisation"]?["note"]?.intValue == 30)
        #expect(shown["retained_note"]?.intValue == 30)
        let text = agent.ok("grid", "show", final)
        #expect(text.contains("Note proposée par le jury : 14,5/20"))
        #expect(text.contains("Note harmonisée : 15/20 — motif : Alignement sur la commission d'harmonisation. — par GIRARD Sophie (ev-0104), le "))
        #expect(text.contains("(lecture seule)"))
        #expect(text.contains("Note retenue : 15/20"))

        let history = try agent.json("grid", "history", final)
        let entry = history.arrayValue?.first { $0["field"]?.stringValue == "harmonisation" }
        #expect(entry?["events"]?.arrayValue?.first?["author"]?.stringValue == "ev-0104")
        #expect(agent.ok("grid", "history", final).contains("retenu   note harmonisée 15/20 — motif : Alignement sur la commission d'harmonisation. — par GIRARD Sophie (ev-0104)"))
        let candidate = try agent.json("candidate", "show", "02614005")
        let finalSummary = candidate["registrations"]?.arrayValue?.first { $0["template"]?.stringValue == "ndrc-e4-ccf" }?["final"]
        #expect(finalSummary?["retained_note"]?.intValue == 30)
        #expect(finalSummary?["harmonisation"]?["by"]?.stringValue == "ev-0104")

        // No command writes it, and the field rule refuses it from anyone but the server's coordinator path.
        let before = try agent.eventCount()
        let refused = agent.cli(["grid", "field", final, "harmonisation", "16"])
        #expect(refused.status == 1 && refused.stderr.contains("Champ inconnu « harmonisation »"))
        #expect(try agent.eventCount() == before)
        let template = try #require(try TemplateCatalog.bundled()["ndrc-e4-ccf"])
        #expect(throws: GridRuleError("coordinator_only", "L'harmonisation est réservée aux coordonnateurs (grille-server harmonise).")) {
            try GridRules.validate(field: GridField.harmonisation, value: Harmonisation(note: 32, reason: "x", by: "ev-0101").json,
                                   grid: try #require(GridID(entity: final)), template: template)
        }
    }
}

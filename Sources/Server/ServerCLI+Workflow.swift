import Foundation
import Shared

extension ServerCLI {
    /// `harmonise GRID --note X --reason TEXT --by ID`
    func harmonise() throws {
        try arguments.allowOnly(["db", "by", "note", "reason"], command: "harmonise")
        let rest = try arguments.expectPositionals(1...1, after: 1, usage: "grille-server harmonise GRILLE --note X --reason TEXTE --by ID")
        let by = try requireBy()
        guard let noteText = arguments[option: "note"], let reason = arguments[option: "reason"] else {
            throw UsageError("harmonise demande --note et --reason (le motif est obligatoire).")
        }
        guard let half = GridRules.parseNote(noteText) else {
            throw ServerError.user("Note invalide « \(noteText) » : de 0 à 20 par demi-point, par exemple 14,5.")
        }
        let store = try openStore()
        let view = try store.harmonise(rest[0], halfPoints: half, reason: reason, by: by)
        let proposed = view.note.map { GridRules.formatNote(halfPoints: $0) } ?? "aucune"
        Console.out("Note harmonisée : \(GridRules.formatNote(halfPoints: half))/20 (proposition du jury : \(proposed)) — \(view.id.entity)")
    }

    /// `session deliberate|publish|retention|show S`
    func session() throws {
        try arguments.allowOnly(["db", "by", "json"], command: "session")
        guard words.count >= 3 else { throw UsageError("Utilisation : grille-server session deliberate|publish|show ANNÉE --by ID, ou session retention ANNÉE AAAA-MM-JJ --by ID") }
        let action = words[1], session = words[2]
        let store = try openStore()
        switch action {
        case "deliberate", "publish":
            _ = try arguments.expectPositionals(2...2, after: 1, usage: "grille-server session \(action) ANNÉE --by ID")
            let state: SessionState = action == "deliberate" ? .deliberated : .published
            try store.setSessionState(session, to: state, by: try requireBy())
            Console.out(state == .deliberated
                ? "Session \(session) délibérée : les grilles sont figées ; toute saisie ultérieure ira en quarantaine (« modifié après délibération »)."
                : "Session \(session) publiée : les fiches d'évaluation (V-5) peuvent être remises aux candidats qui les demandent.")
        case "retention":
            let rest = try arguments.expectPositionals(3...3, after: 1, usage: "grille-server session retention ANNÉE AAAA-MM-JJ --by ID")
            try store.setRetentionDate(session, rest[2], by: try requireBy())
            Console.out("Documents de la session \(session) conservés jusqu'au \(rest[2]).")
        case "show":
            _ = try arguments.expectPositionals(2...2, after: 1, usage: "grille-server session show ANNÉE [--json]")
            let state = try GridLoader.sessionState(session, in: store.db)
            let purged = try store.isPurged(session)
            let retention = try store.retentionDate(session)
            if json {
                Console.out(JSONValue.object(["session": .string(session), "state": .string(state.rawValue), "purged": .bool(purged),
                                              "retention_until": .string(retention)]).prettyString())
            } else {
                Console.out("Session \(session) : \(purged ? "purgée" : state.label) ; conservation jusqu'au \(retention).")
            }
        default:
            throw UsageError("Action inconnue « session \(action) » : deliberate, publish, retention ou show.")
        }
    }

    /// `purge --session S --by ID --yes [--force]`
    func purge() throws {
        try arguments.allowOnly(["db", "by", "session", "yes", "force"], command: "purge")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-server purge --session ANNÉE --by ID --yes [--force]")
        guard let session = arguments[option: "session"] else { throw UsageError("purge demande --session ANNÉE.") }
        let by = try requireBy()
        guard arguments.has("yes") else {
            throw UsageError("La purge efface définitivement toutes les grilles de la session \(session) ; exportez d'abord l'archive, puis confirmez avec --yes.")
        }
        let store = try openStore()
        let report = try store.purge(session: session, by: by, force: arguments.has("force"))
        Console.out("Session \(session) purgée : \(report.events) saisies, \(report.grids) grilles et \(report.quarantined) saisies en quarantaine effacées ; les ordinateurs effaceront leur copie à la prochaine synchronisation.")
    }

    /// `export fiche CANDIDATE --format html [--template T] [--session S] [--out FILE]`
    func export() throws {
        try arguments.allowOnly(["db", "format", "template", "session", "out"], command: "export")
        let rest = try arguments.expectPositionals(2...2, after: 1, usage: "grille-server export fiche CANDIDAT --format html [--template MODÈLE] [--session ANNÉE] [--out FICHIER]")
        guard rest[0] == "fiche" else {
            throw UsageError("Export inconnu « \(rest[0]) ». La grille V-4 est réservée à la commission : seule la fiche d'évaluation (V-5) s'exporte pour un candidat.")
        }
        guard (arguments[option: "format"] ?? "html") == "html" else { throw UsageError("Format inconnu : seul --format html est disponible.") }
        let store = try openStore()
        let number = rest[1]
        guard let candidate = store.roster.candidate(number) else { throw ServerError.user("Candidat inconnu « \(number) ».") }
        let template = arguments[option: "template"] ?? "ndrc-e4-ccf"
        let registrations = store.roster.registrations(of: number).compactMap { store.roster.commission($0.commission) }.filter { $0.template == template }
        guard let commission = arguments[option: "session"].map({ s in registrations.first { $0.session == s } }) ?? registrations.first else {
            throw ServerError.user("Le candidat \(number) n'est pas inscrit à \(template)\(arguments[option: "session"].map { " pour la session \($0)" } ?? "").")
        }
        let session = commission.session
        guard try !store.isPurged(session) else { throw ServerError.user("Session \(session) purgée : plus aucun document.") }
        guard try GridLoader.sessionState(session, in: store.db) == .published else {
            throw ServerError.user("La session \(session) n'est pas publiée : aucune note, grille ni fiche ne sort avant la publication des résultats.")
        }
        let finalID = GridID(template: template, session: session, candidate: number, situation: "final")
        let final = try store.gridView(finalID)
        let others = try store.db.query("SELECT DISTINCT entity FROM state WHERE entity LIKE ?", "grid/\(template)/\(session)/\(number)/%")
            .compactMap { GridID(entity: $0.string(0)) }
        let interviews = try others.filter { $0.situationKind == "A" }.map(store.gridView)
        let simulation = try others.first { $0.situation == "B" }.map(store.gridView)
        let html = FicheRenderer.render(candidate: candidate, establishment: store.roster.establishment(candidate.establishment), final: final,
                                        interviews: interviews, simulation: simulation, roster: store.roster, academy: store.academy)
        let out = arguments[option: "out"] ?? "fiche-\(number)-\(session).html"
        guard FileManager.default.createFile(atPath: out, contents: Data(html.utf8)) else {
            throw ServerError.user("Impossible d'écrire « \(out) ».")
        }
        try store.audit("export fiche", by: nil, detail: number, session: session)
        Console.out("Fiche d'évaluation (V-5) de \(candidate.lastName) \(candidate.firstName) écrite dans \(out).")
    }
}

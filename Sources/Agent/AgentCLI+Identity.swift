import Foundation
import Shared

extension AgentCLI {
    func rosterImport() throws {
        try arguments.allowOnly(["data", "json"], command: "roster import")
        let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-agent roster import DOSSIER")
        let catalog = try AgentCLI.catalog()
        let roster: Roster
        do {
            roster = try Roster.load(directory: URL(fileURLWithPath: rest[0]), templateIDs: Set(catalog.ids))
        } catch {
            throw AgentError.user("Liste refusée, rien n'a été importé. \(error.description)")
        }
        let store = try openStore()
        if let server = try store.setting(LocalStore.SyncKey.serverURL) {
            throw AgentError.user("Cet ordinateur est inscrit auprès de \(server) : la liste vient du serveur (grille-agent sync) et ne s'importe pas à la main. Rien n'a été importé.")
        }
        let before = try store.roster()
        try store.replaceRoster(roster, source: "file")
        let counts = "\(roster.establishments.count) établissements, \(roster.evaluators.count) évaluateurs, \(roster.commissions.count) commissions, \(roster.candidates.count) candidats, \(roster.registrations.count) inscriptions"
        if json {
            output(.object(["changed": .bool(before != roster), "establishments": .int(Int64(roster.establishments.count)),
                            "evaluators": .int(Int64(roster.evaluators.count)), "commissions": .int(Int64(roster.commissions.count)),
                            "candidates": .int(Int64(roster.candidates.count)), "registrations": .int(Int64(roster.registrations.count))]))
        } else if before == roster {
            say("Liste identique à celle déjà enregistrée : rien n'a changé (\(counts)).")
        } else {
            say("Liste importée : \(counts).")
        }
    }

    func whoami() throws {
        try arguments.allowOnly(["data", "json", "as"], command: "whoami")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent whoami [--as IDENTIFIANT] [--json]")
        let store = try openStore()
        let roster = try store.roster()
        if let wanted = arguments[option: "as"] {
            if let enrolled = try store.setting(LocalStore.SyncKey.enrolledEvaluator), enrolled != wanted {
                throw AgentError.user("Cet ordinateur est inscrit pour « \(enrolled) » : il ne peut pas saisir sous l'identité « \(wanted) ».")
            }
            guard !roster.evaluators.isEmpty else {
                throw AgentError.user("Aucune liste d'évaluateurs sur cet ordinateur : importez-la d'abord (grille-agent roster import DOSSIER).")
            }
            guard roster.evaluator(wanted) != nil else {
                throw AgentError.user("Évaluateur inconnu « \(wanted) » : il ne figure pas dans la liste importée.")
            }
            let others = try store.db.query("SELECT DISTINCT author FROM events WHERE origin = 'local' AND author <> ?", wanted)
            if let other = others.first?.string(0) {
                throw AgentError.user("Ce dossier de données contient déjà des saisies de « \(other) » : utilisez un autre dossier (--data) pour « \(wanted) ».")
            }
            try store.setSetting("evaluator_id", wanted)
        }
        let me = try identity(store: store, roster: roster)
        let commissions = roster.commissions(of: me.id)
        if json {
            output(.object([
                "evaluator": .string(me.id), "last_name": .string(me.lastName), "first_name": .string(me.firstName),
                "role": .string(me.role.rawValue), "establishment": me.establishment.map { .string($0) } ?? .null,
                "device": .string(store.deviceID),
                "commissions": .array(commissions.map { .object(["id": .string($0.id), "template": .string($0.template), "session": .string($0.session)]) }),
            ]))
            return
        }
        let school = me.establishment.flatMap { roster.establishment($0) }.map { " — \($0.name), \($0.city)" } ?? ""
        say("Vous êtes \(me.firstName) \(me.lastName) (\(me.id)), \(AgentCLI.roleLabel(me.role))\(school).")
        say("Appareil : \(store.deviceID)")
        if commissions.isEmpty {
            say("Vous ne siégez dans aucune commission.")
        } else {
            say("Commissions : " + commissions.map { "\($0.id) (\($0.template), session \($0.session))" }.joined(separator: ", "))
        }
    }

    /// The evaluator this data dir writes as.
    func identity(store: LocalStore, roster: Roster) throws -> Roster.Evaluator {
        guard let id = try store.setting("evaluator_id") else {
            throw AgentError.user("Aucune identité sur cet ordinateur : choisissez-la avec « grille-agent whoami --as IDENTIFIANT ».")
        }
        guard let me = roster.evaluator(id) else {
            throw AgentError.user("L'évaluateur « \(id) » ne figure plus dans la liste importée.")
        }
        return me
    }

    func candidates() throws {
        try arguments.allowOnly(["data", "json"], command: "candidates")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent candidates [--json]")
        let store = try openStore()
        let roster = try store.roster()
        let me = try identity(store: store, roster: roster)
        let grids = try store.gridIDs()
        let catalog = try AgentCLI.catalog()
        var rows: [JSONValue] = []
        var lines: [String] = []
        for commission in roster.commissions(of: me.id) {
            for candidate in roster.candidates(in: commission.id) {
                let mine = grids.filter { $0.candidate == candidate.number && $0.template == commission.template && $0.session == commission.session }
                let conformity = try GridLoader.conformity(session: commission.session, candidate: candidate.number, template: commission.template, in: store.db)
                let views = try mine.filter { catalog[$0.template] != nil }.map { try store.gridView($0, catalog: catalog) }
                let status = CandidateStatus.of(conformity: conformity, grids: views)
                rows.append(.object([
                    "number": .string(candidate.number), "last_name": .string(candidate.lastName),
                    "first_name": .string(candidate.firstName), "establishment": .string(candidate.establishment),
                    "internship_weeks": .int(Int64(candidate.internshipWeeks)),
                    "commission": .string(commission.id), "template": .string(commission.template),
                    "session": .string(commission.session), "grids": .array(mine.map { .string($0.entity) }),
                    "conformity": conformity.map { .string($0.rawValue) } ?? .null, "status": .string(status.rawValue),
                ]))
                lines.append("\(candidate.number)  \(candidate.lastName) \(candidate.firstName)  \(commission.template) \(commission.session)  commission \(commission.id)  \(mine.count) grille(s)  \(status.label)")
            }
        }
        if json {
            output(.array(rows))
        } else if lines.isEmpty {
            say("Aucun candidat dans vos commissions.")
        } else {
            lines.forEach(say)
        }
    }

    static func roleLabel(_ role: Roster.Evaluator.Role) -> String {
        switch role {
        case .teacher: "enseignant"
        case .professional: "professionnel"
        case .coordinator: "coordonnateur d'établissement"
        case .academy: "coordonnateur académique"
        }
    }

    static func catalog() throws -> TemplateCatalog {
        do { return try TemplateCatalog.bundled() } catch {
            throw AgentError.internalError("Modèles de grilles illisibles : \(error.description)")
        }
    }
}

import Foundation
import Shared

/// The conformity check of annexe V-8, done before any evaluation, and the absence of a candidate:
/// `conformity/<session>/<candidate>/<template>`, field `status`, written by a member of the candidate's
/// commission (or a coordinator). A non-conforming candidate is NV: the final grid cannot be signed.
extension AgentCLI {
    func conformity() throws {
        guard words.count >= 2 else { throw UsageError("Utilisation : grille-agent conformity set|show …") }
        switch words[1] {
        case "set": try conformitySet()
        case "show": try conformityShow()
        default: throw UsageError("Sous-commande inconnue « conformity \(words[1]) ».")
        }
    }

    /// The words `conformity set` takes: `ok`, `absent` and the five official reasons.
    static func parseConformity(_ typed: String) -> Conformity? {
        let word = typed.trimmingWhitespace().lowercased()
        if word == "ok" { return .conforming }
        return Conformity(rawValue: word)
    }

    static var conformityChoices: String {
        "ok (conforme), absent (AB), ou un motif de non-conformité : "
            + Conformity.allCases.filter(\.isNonConforming).map { "\($0.rawValue) (\($0.label.replacingOccurrences(of: "non conforme (NV) : ", with: "")))" }
            .joined(separator: ", ")
    }

    /// `conformity set CANDIDATE ok|<reason>|absent [--template T] [--session S]`.
    func conformitySet() throws {
        try arguments.allowOnly(["data", "template", "session"], command: "conformity set")
        let rest = try arguments.expectPositionals(2...2, after: 2, usage: "grille-agent conformity set CANDIDAT ok|absent|MOTIF [--template MODÈLE] [--session ANNÉE]")
        let ctx = try context()
        let commission = try registration(of: rest[0], ctx)
        guard let conformity = AgentCLI.parseConformity(rest[1]) else {
            throw AgentError.user("Conformité inconnue « \(rest[1]) » : choisissez \(AgentCLI.conformityChoices).")
        }
        try requireConformityWriter(commission, ctx)
        try requireOpenSession(commission.session, ctx)
        let value: JSONValue = .string(conformity.rawValue)
        do {
            try GridRules.validateConformity(field: Conformity.field, value: value)
        } catch {
            throw AgentError.user(error.message)
        }
        let entity = Conformity.entity(session: commission.session, candidate: rest[0], template: commission.template)
        try ctx.store.append([.init(entity: entity, field: Conformity.field, value: value)], author: ctx.me.id)
        say("Conformité de \(rest[0]) (\(commission.template), session \(commission.session)) : \(conformity.label).")
        if conformity != .conforming {
            say("La grille finale de ce candidat ne peut pas être signée ; les relevés indiqueront \(conformity.mention ?? "NV").")
        }
    }

    /// `conformity show CANDIDATE [--json]`: the conformity of each registration.
    func conformityShow() throws {
        try arguments.allowOnly(["data", "json"], command: "conformity show")
        let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-agent conformity show CANDIDAT [--json]")
        let ctx = try context()
        guard let candidate = ctx.roster.candidate(rest[0]) else {
            throw AgentError.user("Candidat inconnu « \(rest[0]) » : il ne figure pas dans la liste.")
        }
        var rows: [JSONValue] = []
        for commission in registeredCommissions(candidate.number, ctx.roster) {
            let conformity = try GridLoader.conformity(session: commission.session, candidate: candidate.number, template: commission.template, in: ctx.store.db)
            rows.append(AgentCLI.conformityJSON(conformity, commission: commission))
            if !json {
                say("\(commission.template), session \(commission.session) (commission \(commission.id)) : \(conformity?.label ?? "non renseignée")")
            }
        }
        if json {
            output(.object(["candidate": .string(candidate.number), "registrations": .array(rows)]))
        } else if rows.isEmpty {
            say("Le candidat \(candidate.number) n'est inscrit à aucune épreuve.")
        }
    }

    static func conformityJSON(_ conformity: Conformity?, commission: Roster.Commission) -> JSONValue {
        .object([
            "template": .string(commission.template), "session": .string(commission.session), "commission": .string(commission.id),
            "conformity": conformity.map { .string($0.rawValue) } ?? .null,
            "label": conformity.map { .string($0.label) } ?? .null,
            "mention": conformity?.mention.map { .string($0) } ?? .null,
        ])
    }

    /// The commissions of a candidate's registrations, in file order.
    func registeredCommissions(_ number: String, _ roster: Roster) -> [Roster.Commission] {
        roster.registrations(of: number).compactMap { roster.commission($0.commission) }
    }

    /// The registration `--template` and `--session` name, or the candidate's only one.
    func registration(of number: String, _ ctx: Context) throws -> Roster.Commission {
        guard ctx.roster.candidate(number) != nil else {
            throw AgentError.user("Candidat inconnu « \(number) » : il ne figure pas dans la liste.")
        }
        var commissions = registeredCommissions(number, ctx.roster)
        guard !commissions.isEmpty else {
            throw AgentError.user("Le candidat \(number) n'est inscrit à aucune épreuve.")
        }
        if let template = arguments[option: "template"] {
            commissions = commissions.filter { $0.template == template }
            guard !commissions.isEmpty else {
                throw AgentError.user("Le candidat \(number) n'est pas inscrit à l'épreuve « \(template) ».")
            }
        }
        if let session = arguments[option: "session"] {
            commissions = commissions.filter { $0.session == session }
            guard !commissions.isEmpty else {
                throw AgentError.user("Session inconnue « \(session) » : le candidat \(number) n'y est pas inscrit" + (arguments[option: "template"].map { " pour \($0)" } ?? "") + ".")
            }
        }
        guard commissions.count == 1 else {
            let list = commissions.map { "\($0.template) \($0.session)" }.joined(separator: ", ")
            throw UsageError("Le candidat \(number) est inscrit à plusieurs épreuves (\(list)) : précisez --template et --session.")
        }
        return commissions[0]
    }
}

import Foundation
import Shared

extension AgentCLI {
    /// What a grid command needs: the store, the roster, me, the catalog.
    struct Context {
        let store: LocalStore
        let roster: Roster
        let me: Roster.Evaluator
        let catalog: TemplateCatalog
    }

    func context() throws -> Context {
        let store = try openStore()
        let roster = try store.roster()
        return Context(store: store, roster: roster, me: try identity(store: store, roster: roster), catalog: try AgentCLI.catalog())
    }

    func grid() throws {
        guard words.count >= 2 else { throw UsageError("Utilisation : grille-agent grid new|set|clear|comment|field|confirm|fdap|subject|show|history|sign …") }
        switch words[1] {
        case "new": try gridNew()
        case "set": try gridSet(clear: false)
        case "clear": try gridSet(clear: true)
        case "comment": try gridComment()
        case "field": try gridField()
        case "show": try gridShow()
        case "history": try gridHistory()
        case "sign": try gridSign()
        case "confirm": try gridConfirm()
        case "fdap": try gridFdap()
        case "subject": try gridSubject()
        default: throw UsageError("Sous-commande inconnue « grid \(words[1]) ».")
        }
    }

    /// The commission that evaluates `grid`, which the current evaluator must sit on.
    func requireMembership(_ grid: GridID, _ ctx: Context) throws -> Roster.Commission {
        guard let commission = ctx.roster.commission(forCandidate: grid.candidate, template: grid.template, session: grid.session) else {
            throw AgentError.user("Le candidat \(grid.candidate) n'est inscrit à aucune commission \(grid.template) pour la session \(grid.session).")
        }
        guard commission.members.contains(ctx.me.id) else {
            throw AgentError.user("Vous (\(ctx.me.id)) ne siégez pas dans la commission \(commission.id) qui évalue ce candidat : saisie refusée.")
        }
        return commission
    }

    func gridNew() throws {
        try arguments.allowOnly(["data", "json", "candidate", "template", "session", "situation", "option", "prefill"], command: "grid new")
        _ = try arguments.expectPositionals(0...0, after: 2, usage: "grille-agent grid new --candidate NUMÉRO --template MODÈLE [--session ANNÉE] --situation A|B|final [--option OPTION] [--prefill]")
        guard let number = arguments[option: "candidate"], let templateID = arguments[option: "template"],
              let situationID = arguments[option: "situation"] else {
            throw UsageError("grid new demande --candidate, --template et --situation.")
        }
        let prefill = arguments.has("prefill")
        if prefill && situationID != "final" {
            throw UsageError("--prefill ne s'utilise qu'avec --situation final : la grille finale part des derniers niveaux de la situation A et des notes de la situation B.")
        }
        let ctx = try context()
        guard let template = ctx.catalog[templateID] else {
            throw AgentError.user("Modèle de grille inconnu « \(templateID) » : choisissez parmi \(ctx.catalog.ids.joined(separator: ", ")).")
        }
        guard let situation = template.situations.first(where: { $0.id == situationID }) else {
            throw AgentError.user("Situation inconnue « \(situationID) » pour \(template.id) : choisissez parmi \(template.situations.map(\.id).joined(separator: ", ")).")
        }
        guard let candidate = ctx.roster.candidate(number) else {
            throw AgentError.user("Candidat inconnu « \(number) » : il ne figure pas dans la liste.")
        }
        let registered = ctx.roster.registrations(of: candidate.number).compactMap { ctx.roster.commission($0.commission) }
            .filter { $0.template == template.id }
        let session: String
        if let given = arguments[option: "session"] {
            guard registered.contains(where: { $0.session == given }) else {
                throw AgentError.user("Session inconnue « \(given) » : le candidat \(number) n'est pas inscrit à \(template.id) pour cette session.")
            }
            session = given
        } else {
            guard let only = registered.first else {
                throw AgentError.user("Le candidat \(number) n'est pas inscrit à l'épreuve \(template.id).")
            }
            guard registered.count == 1 else {
                throw UsageError("Le candidat \(number) est inscrit à plusieurs sessions de \(template.id) : précisez --session.")
            }
            session = only.session
        }
        var option: String?
        if let given = arguments[option: "option"] {
            let options = template.optionBlocks(in: situation)
            guard !options.isEmpty else {
                throw AgentError.user("La situation \(situation.id) de \(template.id) n'a pas d'option.")
            }
            guard options.contains(given) else {
                throw AgentError.user("Option inconnue « \(given) » : choisissez parmi \(options.joined(separator: ", ")).")
            }
            option = given
        }
        let gridID = GridID(template: template.id, session: session, candidate: candidate.number,
                            situation: situation.multiple ? "\(situation.id)-\(SecureRandom.hex(4))" : situation.id)
        try requireWritable(gridID, ctx)
        let all = try ctx.store.gridIDs()
        let existing = all.contains(gridID)
        let current = try ctx.store.gridView(gridID, catalog: ctx.catalog)
        var writes: [LocalStore.Write] = []
        if !existing {
            writes.append(.init(entity: gridID.entity, field: GridField.status, value: "draft"))
            if situation.fields.contains(.date) {
                writes.append(.init(entity: gridID.entity, field: GridField.date, value: .string(today())))
            }
        }
        var plan: Prefill?
        if prefill {
            let siblings = all.filter { $0.template == gridID.template && $0.session == gridID.session && $0.candidate == gridID.candidate && $0 != gridID }
            let interviews = try siblings.filter { $0.situationKind == "A" }.map { try ctx.store.gridView($0, catalog: ctx.catalog) }
            let simulation = try siblings.first { $0.situation == "B" }.map { try ctx.store.gridView($0, catalog: ctx.catalog) }
            let made = Prefill.plan(final: current, interviews: interviews, simulation: simulation, option: option)
            option = made.option
            plan = made
        }
        if let option, current.option != option {
            writes.append(.init(entity: gridID.entity, field: GridField.option, value: .string(option)))
        }
        // One transaction: each pre-filled level with its mark, so no replica ever sees one without the other.
        for entry in plan?.entries ?? [] {
            writes.append(.init(entity: gridID.entity, field: GridField.level(entry.criterion), value: .string(entry.level)))
            writes.append(.init(entity: gridID.entity, field: GridField.prefill(entry.criterion), value: .string(entry.level)))
        }
        try validate(writes, view: current)
        try ctx.store.append(writes, author: ctx.me.id)
        if json {
            var object: [String: JSONValue] = ["id": .string(gridID.entity), "created": .bool(!existing)]
            if let plan {
                object["option"] = plan.option.map { .string($0) } ?? .null
                object["prefilled"] = .array(plan.entries.map {
                    ["criterion": .string($0.criterion), "level": .string($0.level), "source": .string($0.source.entity)]
                })
                object["unsourced"] = .array(plan.unsourced.map { .string($0) })
            }
            output(.object(object))
            return
        }
        say(gridID.entity)
        if existing {
            let updated = writes.contains { $0.field == GridField.option }
            warn("Cette grille existe déjà : \(gridID.entity)" + (updated ? " (option mise à jour)" : ""))
        }
        if let plan {
            if plan.entries.isEmpty {
                warn("Aucune valeur à pré-remplir : ni entretien (situation A) ni simulation (situation B) ne donne de niveau pour les critères vides.")
            } else {
                let fromA = plan.entries.filter { $0.source.situationKind == "A" }.count
                let fromB = plan.entries.count - fromA
                warn("Pré-rempli : \(plan.entries.count) critère(s) (\(fromA) depuis la situation A, \(fromB) depuis la situation B), à confirmer par un membre du jury : grille-agent grid confirm \(gridID.entity) --all, ou CRITÈRE par CRITÈRE.")
            }
            if !plan.unsourced.isEmpty {
                warn("Sans source, à renseigner : \(plan.unsourced.joined(separator: ", ")).")
            }
        }
    }

    /// `grid set GRID CRITERION LEVEL` and `grid clear GRID CRITERION`.
    func gridSet(clear: Bool) throws {
        try arguments.allowOnly(["data"], command: clear ? "grid clear" : "grid set")
        let rest = try arguments.expectPositionals(clear ? 2...2 : 3...3, after: 2,
                                                   usage: clear ? "grille-agent grid clear GRILLE CRITÈRE" : "grille-agent grid set GRILLE CRITÈRE NIVEAU")
        let ctx = try context()
        let view = try ctx.store.gridView(try ctx.store.resolveGrid(rest[0]), catalog: ctx.catalog)
        try requireWritable(view.id, ctx)
        let criterion = try checkCriterion(rest[1], in: view)
        var value: JSONValue = .null
        if !clear {
            let typed = rest[2].trimmingWhitespace().uppercased()
            guard let level = view.template.level(typed) else {
                throw AgentError.user("Niveau inconnu « \(rest[2]) » : choisissez parmi \(view.template.scale.map { "\($0.code) (\($0.label))" }.joined(separator: ", ")).")
            }
            value = .string(level.code)
        }
        var writes = [LocalStore.Write(entity: view.id.entity, field: GridField.level(criterion), value: value)]
        // Writing a level confirms (or replaces) a pre-filled one.
        if view.value(GridField.prefill(criterion)) != nil {
            writes.append(.init(entity: view.id.entity, field: GridField.prefill(criterion), value: .null))
        }
        try validate(writes, view: view)
        try ctx.store.append(writes, author: ctx.me.id)
        say(clear ? "Niveau effacé : \(criterion)." : "\(criterion) : \(value.stringValue ?? "") enregistré.")
    }

    func gridComment() throws {
        try arguments.allowOnly(["data"], command: "grid comment")
        let rest = try arguments.expectPositionals(3...3, after: 2, usage: "grille-agent grid comment GRILLE CRITÈRE TEXTE")
        let ctx = try context()
        let view = try ctx.store.gridView(try ctx.store.resolveGrid(rest[0]), catalog: ctx.catalog)
        try requireWritable(view.id, ctx)
        let criterion = try checkCriterion(rest[1], in: view, levelWrite: false)
        let writes = [LocalStore.Write(entity: view.id.entity, field: GridField.comment(criterion), value: .string(rest[2]))]
        try validate(writes, view: view)
        try ctx.store.append(writes, author: ctx.me.id)
        say("Commentaire enregistré sur \(criterion).")
    }

    static let fieldNames: [String: String] = [
        "option": GridField.option, "appreciation-A": GridField.appreciationA, "appreciation-B": GridField.appreciationB,
        "recommendations": GridField.recommendations, "note": GridField.note, "date": GridField.date,
    ]

    func gridField() throws {
        try arguments.allowOnly(["data"], command: "grid field")
        let rest = try arguments.expectPositionals(3...3, after: 2, usage: "grille-agent grid field GRILLE option|appreciation-A|appreciation-B|recommendations|note|date VALEUR")
        guard let field = AgentCLI.fieldNames[rest[1]] else {
            throw AgentError.user("Champ inconnu « \(rest[1]) » : choisissez parmi \(AgentCLI.fieldNames.keys.sorted().joined(separator: ", ")).")
        }
        let ctx = try context()
        let view = try ctx.store.gridView(try ctx.store.resolveGrid(rest[0]), catalog: ctx.catalog)
        try requireWritable(view.id, ctx)
        let value: JSONValue
        switch field {
        case GridField.note:
            guard let half = GridRules.parseNote(rest[2]) else {
                throw AgentError.user("Note invalide « \(rest[2]) » : écrivez une note de 0 à 20 par demi-point, par exemple 14,5.")
            }
            value = .int(Int64(half))
        case GridField.date, GridField.option:
            value = .string(rest[2].trimmingWhitespace())
        default:
            value = .string(rest[2])
        }
        try validate([.init(entity: view.id.entity, field: field, value: value)], view: view)
        try ctx.store.append([.init(entity: view.id.entity, field: field, value: value)], author: ctx.me.id)
        let shown = field == GridField.note ? GridRules.formatNote(halfPoints: Int(value.intValue ?? 0)) + "/20" : "enregistré"
        say("\(rest[1]) : \(shown).")
    }

    /// Checks that `typed` is a criterion this grid can take now; for a level, that it is not in the
    /// B option the grid did not choose.
    func checkCriterion(_ typed: String, in view: GridView, levelWrite: Bool = true) throws -> String {
        guard let criterion = view.template.criterion(typed) else {
            throw AgentError.user("Critère inconnu « \(typed) » dans \(view.template.id) : par exemple \(view.template.allCriteria.prefix(3).map(\.id).joined(separator: ", ")).")
        }
        guard view.template.criteria(for: view.situation).contains(where: { $0.id == criterion.id }) else {
            throw AgentError.user("Le critère « \(criterion.id) » ne s'évalue pas en situation \(view.situation.id).")
        }
        let optionBlocks = view.template.optionBlocks(in: view.situation)
        if let block = view.template.block(containing: criterion.id), optionBlocks.contains(block.id) {
            guard let option = view.option else {
                throw AgentError.user("Le critère « \(criterion.id) » relève d'une option de la situation B : choisissez d'abord l'option (grid field GRILLE option \(optionBlocks.joined(separator: "|"))).")
            }
            if option != block.id && levelWrite {
                throw AgentError.user("Le critère « \(criterion.id) » relève de l'option « \(block.id) », mais l'option choisie est « \(option) » : ce critère reste vide.")
            }
        }
        return criterion.id
    }

    func validate(_ writes: [LocalStore.Write], view: GridView) throws {
        for write in writes {
            do {
                try GridRules.validate(field: write.field, value: write.value, grid: view.id, template: view.template)
            } catch {
                throw AgentError.user(error.message)
            }
        }
    }

    /// Today's date in the academy's time zone.
    func today() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Paris")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date(timeIntervalSince1970: Double(clock.nowMilliseconds()) / 1000))
    }
}

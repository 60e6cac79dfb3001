import Foundation
import Shared

extension AgentCLI {
    func gridShow() throws {
        try arguments.allowOnly(["data", "json"], command: "grid show")
        let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-agent grid show GRILLE [--json]")
        let ctx = try context()
        let view = try ctx.store.gridView(try ctx.store.resolveGrid(rest[0]), catalog: ctx.catalog)
        if json {
            var object = view.json.objectValue ?? [:]
            if object["unconfirmed_prefills"] == nil {
                object["unconfirmed_prefills"] = .array(view.unconfirmedPrefills.map { .string($0) })
            }
            output(.object(object))
            return
        }
        let candidate = ctx.roster.candidate(view.id.candidate)
        say(view.template.title)
        say("Candidat : \(view.id.candidate)" + (candidate.map { " — \($0.lastName) \($0.firstName)" } ?? "")
                    + "   Session \(view.id.session)   Situation \(view.situation.id)")
        say("Grille : \(view.id.entity)")
        if let option = view.option { say("Option : \(view.template.block(option)?.label ?? option)") }
        let levels = view.levels
        let comments = view.comments
        let outOfScope = Set(view.outOfScope)
        let conflicted = Set(view.conflicts.map(\.key.field))
        for block in view.template.blocks {
            let criteria = block.criteria.filter { c in view.template.criteria(for: view.situation).contains(where: { $0.id == c.id }) }
            guard !criteria.isEmpty else { continue }
            let excluded = view.option != nil && view.template.optionBlocks(in: view.situation).contains(block.id) && view.option != block.id
            say("\n[\(block.id)] \(block.label)" + (excluded ? " — option non retenue" : ""))
            for criterion in criteria where !excluded || levels[criterion.id] != nil {
                var line = "  \(criterion.id.padding(toLength: 16, withPad: " ", startingAt: 0)) \(levels[criterion.id] ?? "—")"
                if outOfScope.contains(criterion.id) { line += "  (hors option choisie : exclu de la grille signée)" }
                if conflicted.contains(GridField.level(criterion.id)) { line += "  ⚠ CONFLIT" }
                if view.value(GridField.prefill(criterion.id)) != nil { line += "  (pré-rempli, à confirmer)" }
                say(line + "  \(criterion.label)")
                if let comment = comments[criterion.id] { say("      commentaire : \(comment)") }
            }
        }
        say("")
        for field in Template.Field.allCases where field != .option && field != .note {
            guard let value = view.value(field.rawValue) else { continue }
            switch field {
            case .subject:
                say("subject (fiche sujet) :")
                for (key, text) in (value.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                    say("    \(key) : \(text.stringValue ?? text.canonicalString)")
                }
            default:
                say("\(field.rawValue) : \(AgentCLI.describe(field: field.rawValue, value: value, roster: ctx.roster))")
            }
        }
        AgentCLI.noteLines(view, roster: ctx.roster).forEach(say)
        if let conformity = view.context.conformity { say("Conformité : \(conformity.label)") }
        for conflict in view.conflicts {
            say("⚠ Conflit sur \(conflict.key.field) :")
            for head in conflict.heads {
                say("    \(AgentCLI.describe(field: conflict.key.field, value: head.value, roster: ctx.roster)) — \(head.author), \(head.device), \(AgentCLI.formatTime(head.hlc.wall))")
            }
        }
        for signature in view.signatures {
            var line = "Signature \(AgentCLI.displayName(signature.evaluator, roster: ctx.roster))"
            if let name = signature.name {
                line += ", co-signée sous le nom « \(name) »" + (signature.witness.map { " en présence de \(AgentCLI.displayName($0, roster: ctx.roster))" } ?? "")
            }
            say(line + " : \(signature.valid ? "valide" : "à re-signer")")
        }
        if view.isFinal, !view.signatures.isEmpty, !view.unsignedMembers.isEmpty {
            say("Signatures attendues : " + view.unsignedMembers.map { AgentCLI.displayName($0, roster: ctx.roster) }.joined(separator: ", "))
        }
        let prefills = view.unconfirmedPrefills
        if !prefills.isEmpty {
            say("Pré-remplis à confirmer : \(prefills.joined(separator: ", ")) (grille-agent grid confirm GRILLE CRITÈRE|--all, ou grid set)")
        }
        say("Statut : \(GridView.statusLabel(view.status))")
        if !view.missing.isEmpty { say("À renseigner : \(view.missing.joined(separator: ", "))") }
    }

    /// The note lines of a grid: the jury's proposal, the coordinator's harmonisation (read-only on the
    /// agent) with its reason, author and time, and the retained note.
    static func noteLines(_ view: GridView, roster: Roster) -> [String] {
        var lines: [String] = []
        if let note = view.note { lines.append("Note proposée par le jury : \(GridRules.formatNote(halfPoints: note))/20") }
        if let harmonisation = view.harmonisation {
            let at = view.fields[GridField.harmonisation].map { ", le " + formatTime($0.winner.hlc.wall) } ?? ""
            lines.append("Note harmonisée : \(GridRules.formatNote(halfPoints: harmonisation.note))/20 — motif : \(harmonisation.reason) — par \(displayName(harmonisation.by, roster: roster))\(at) (lecture seule)")
            if let retained = view.retainedNote { lines.append("Note retenue : \(GridRules.formatNote(halfPoints: retained))/20") }
        }
        return lines
    }

    /// A field value as a person reads it, for `grid show` and `grid history`.
    static func describe(field: String, value: JSONValue, roster: Roster) -> String {
        if value == .null { return "(effacé)" }
        if GridField.signer(of: field) != nil {
            var text = "signature (empreinte \((value["content"]?.stringValue ?? "?").prefix(12))…)"
            if let name = value["name"]?.stringValue {
                text += ", co-signée sous le nom « \(name) »" + (value["witness"]?.stringValue.map { " en présence de \(displayName($0, roster: roster))" } ?? "")
            }
            return text
        }
        switch field {
        case GridField.note:
            return value.intValue.map { GridRules.formatNote(halfPoints: Int($0)) + "/20" } ?? value.canonicalString
        case GridField.harmonisation:
            guard let harmonisation = Harmonisation(value) else { return value.canonicalString }
            return "note harmonisée \(GridRules.formatNote(halfPoints: harmonisation.note))/20 — motif : \(harmonisation.reason) — par \(displayName(harmonisation.by, roster: roster))"
        case GridField.fdap:
            return describeFdap(value)
        case GridField.subject:
            let keys = (value.objectValue ?? [:]).keys.sorted()
            return "fiche sujet (\(keys.count) champ(s) : \(keys.joined(separator: ", ")))"
        default:
            if GridField.criterion(of: field)?.kind == "prefill" { return "pré-rempli \(value.stringValue ?? value.canonicalString)" }
            return value.stringValue ?? value.canonicalString
        }
    }

    static func describeFdap(_ value: JSONValue) -> String {
        guard let number = value["number"]?.stringValue, let title = value["title"]?.stringValue else { return value.canonicalString }
        return "n° \(number) — \(title)"
    }

    func gridHistory() throws {
        try arguments.allowOnly(["data", "json", "criterion"], command: "grid history")
        let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-agent grid history GRILLE [--criterion CRITÈRE] [--json]")
        let ctx = try context()
        let id = try ctx.store.resolveGrid(rest[0])
        guard let template = ctx.catalog[id.template] else { throw AgentError.user("Modèle inconnu « \(id.template) ».") }
        var filter: (String) -> Bool = { _ in true }
        if let criterion = arguments[option: "criterion"] {
            guard template.criterion(criterion) != nil else {
                throw AgentError.user("Critère inconnu « \(criterion) » dans \(template.id).")
            }
            filter = { GridField.criterion(of: $0)?.criterion == criterion }
        }
        let history = try ctx.store.history(id, fieldFilter: filter)
        if json {
            output(.array(history.map { entry in
                .object([
                    "field": .string(entry.field),
                    "winner": entry.winner.map { .string($0) } ?? .null,
                    "events": .array(entry.events.map { event in
                        var described = GridView.describe(event).objectValue ?? [:]
                        described["winner"] = .bool(event.id == entry.winner)
                        return .object(described)
                    }),
                ])
            }))
            return
        }
        if history.isEmpty { say("Aucune saisie.") }
        for entry in history {
            say(entry.field)
            for event in entry.events {
                let marker = event.id == entry.winner ? "retenu " : "remplacé"
                let value = AgentCLI.describe(field: entry.field, value: event.value, roster: ctx.roster)
                say("  \(marker)  \(value) — \(event.author), \(event.device), \(AgentCLI.formatTime(event.hlc.wall))")
            }
        }
    }

    func grids() throws {
        try arguments.allowOnly(["data", "json", "candidate"], command: "grids")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent grids [--candidate NUMÉRO] [--json]")
        let ctx = try context()
        var ids = try ctx.store.gridIDs()
        if let number = arguments[option: "candidate"] {
            guard ctx.roster.candidate(number) != nil else { throw AgentError.user("Candidat inconnu « \(number) ».") }
            ids = ids.filter { $0.candidate == number }
        }
        var rows: [JSONValue] = []
        for id in ids {
            guard ctx.catalog[id.template] != nil else { continue }
            let view = try ctx.store.gridView(id, catalog: ctx.catalog)
            rows.append(.object(["id": .string(id.entity), "candidate": .string(id.candidate), "template": .string(id.template),
                                 "session": .string(id.session), "situation": .string(id.situation), "status": .string(view.status),
                                 "date": view.value(GridField.date) ?? .null, "conflicts": .int(Int64(view.conflicts.count))]))
            if !json {
                let date = view.value(GridField.date)?.stringValue.map { "  \($0)" } ?? ""
                say("\(id.entity)  \(GridView.statusLabel(view.status))\(date)" + (view.conflicts.isEmpty ? "" : "  ⚠ \(view.conflicts.count) conflit(s)"))
            }
        }
        if json { output(.array(rows)) } else if ids.isEmpty { say("Aucune grille.") }
    }

    func log() throws {
        try arguments.allowOnly(["data", "json"], command: "log")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent log [--json]")
        let store = try openStore()
        let entries = try store.log()
        if json {
            output(.array(entries.map { entry in
                var object = entry.event.json.objectValue ?? [:]
                object["origin"] = .string(entry.origin)
                object["sync_state"] = .string(entry.syncState)
                return .object(object)
            }))
            return
        }
        for entry in entries {
            let value = entry.event.value == .null ? "(effacé)" : (entry.event.value.stringValue ?? entry.event.value.canonicalString)
            say("\(AgentCLI.formatTime(entry.event.hlc.wall))  \(entry.event.author)  \(entry.event.entity)  \(entry.event.field) = \(value)  [\(entry.syncState)]")
        }
        if entries.isEmpty { say("Journal vide.") }
    }

    func rebuild() throws {
        try arguments.allowOnly(["data", "json"], command: "rebuild")
        let store = try openStore()
        let before = try store.stateHash()
        try store.rebuild()
        let after = try store.stateHash()
        if json {
            output(.object(["before": .string(before), "after": .string(after), "identical": .bool(before == after)]))
        } else {
            say(before == after
                ? "État recalculé à partir du journal : identique (empreinte \(after.prefix(16))…)."
                : "État recalculé à partir du journal : il différait de l'état enregistré, il est maintenant corrigé (empreinte \(after.prefix(16))…).")
        }
    }

    /// The state hash of everything, or of the entities starting with `--prefix` (docs/PROTOCOL.md).
    func stateHash() throws {
        try arguments.allowOnly(["data", "json", "prefix"], command: "hash")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent hash [--prefix PRÉFIXE] [--json]")
        let store = try openStore()
        let prefix = arguments[option: "prefix"]
        let hash = try Materializer.stateHash(in: store.db, entityPrefix: prefix)
        if json {
            output(.object(["hash": .string(hash), "prefix": prefix.map { .string($0) } ?? .null]))
        } else {
            say(hash)
        }
    }

    /// A time in the academy's time zone, French style.
    static func formatTime(_ wall: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "fr_FR")
        formatter.timeZone = TimeZone(identifier: "Europe/Paris")
        formatter.dateFormat = "dd/MM/yyyy HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(wall) / 1000))
    }
}

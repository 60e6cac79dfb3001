import Foundation
import Shared

/// The jury's acts on a final grid: confirming pre-filled levels and signing, for oneself or, for a
/// commission member without an account, on this laptop with the current evaluator as witness
/// (DESIGN.md, "Signatures").
extension AgentCLI {
    /// `grid sign GRID [--name "NOM Prénom" --witness]`.
    func gridSign() throws {
        try arguments.allowOnly(["data", "name", "witness"], command: "grid sign")
        let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-agent grid sign GRILLE [--name \"NOM Prénom\" --witness]")
        let typedName = arguments[option: "name"]
        guard (typedName != nil) == arguments.has("witness") else {
            throw UsageError("--name et --witness vont ensemble : un membre de la commission sans compte co-signe sur cet ordinateur, en votre présence (grille-agent grid sign GRILLE --name \"NOM Prénom\" --witness).")
        }
        let ctx = try context()
        let view = try ctx.store.gridView(try ctx.store.resolveGrid(rest[0]), catalog: ctx.catalog)
        let commission = try requireWritable(view.id, ctx)
        var signer = ctx.me
        var name: String?
        if let typedName {
            let trimmed = typedName.trimmingWhitespace()
            guard !trimmed.isEmpty else {
                throw AgentError.user("Nom vide : écrivez le nom du membre qui signe, « NOM Prénom ».")
            }
            signer = try witnessedMember(trimmed, commission: commission, ctx)
            name = trimmed
        }
        let blockers = view.signingBlockers
        guard blockers.isEmpty else {
            throw AgentError.user("Signature refusée :\n" + blockers.map { "  - \($0)" }.joined(separator: "\n"))
        }
        var value: [String: JSONValue] = ["content": .string(view.signedContentHash)]
        if let name {
            value["name"] = .string(name)
            value["witness"] = .string(ctx.me.id)
        }
        try ctx.store.append([.init(entity: view.id.entity, field: GridField.signature(signer.id), value: .object(value))], author: ctx.me.id)
        if let name {
            say("Grille co-signée par \(name) (\(signer.id)), en présence de \(ctx.me.firstName) \(ctx.me.lastName) (\(ctx.me.id)), témoin (empreinte \(view.signedContentHash.prefix(12))…).")
        } else {
            say("Grille signée par \(ctx.me.firstName) \(ctx.me.lastName) (empreinte \(view.signedContentHash.prefix(12))…).")
        }
    }

    /// The commission member called `typed` (« NOM Prénom » or « Prénom NOM », case, accents and spacing
    /// ignored), who is not the current evaluator; refused with the list of members when none or several match.
    func witnessedMember(_ typed: String, commission: Roster.Commission, _ ctx: Context) throws -> Roster.Evaluator {
        let members = commission.members.compactMap(ctx.roster.evaluator)
        let list = members.map(AgentCLI.displayName).joined(separator: ", ")
        if AgentCLI.nameMatches(typed, ctx.me) {
            throw AgentError.user("« \(typed) » est votre nom : pour signer vous-même, lancez grille-agent grid sign GRILLE sans --name ni --witness.")
        }
        let matches = members.filter { AgentCLI.nameMatches(typed, $0) }
        guard !matches.isEmpty else {
            throw AgentError.user("Aucun membre de la commission \(commission.id) ne s'appelle « \(typed) ». Membres : \(list).")
        }
        guard matches.count == 1 else {
            throw AgentError.user("« \(typed) » désigne plusieurs membres de la commission \(commission.id) (\(matches.map(AgentCLI.displayName).joined(separator: ", "))) : la co-signature par le nom est impossible, chacun signe sur son propre ordinateur. Membres : \(list).")
        }
        return matches[0]
    }

    /// True when `typed` is « NOM Prénom » or « Prénom NOM » of `evaluator`, ignoring case, accents and spacing.
    static func nameMatches(_ typed: String, _ evaluator: Roster.Evaluator) -> Bool {
        let key = nameKey(typed)
        return key == nameKey(evaluator.lastName + " " + evaluator.firstName) || key == nameKey(evaluator.firstName + " " + evaluator.lastName)
    }

    static func nameKey(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: Locale(identifier: "fr_FR"))
            .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// `grid confirm GRID CRITERION|--all`: a jury member confirms pre-filled levels (the level stays, the
    /// mark goes). `grid set` on a pre-filled criterion confirms it too, with the new level.
    func gridConfirm() throws {
        try arguments.allowOnly(["data", "all"], command: "grid confirm")
        let usage = "grille-agent grid confirm GRILLE CRITÈRE|--all"
        let rest = try arguments.expectPositionals(1...2, after: 2, usage: usage)
        guard (rest.count == 2) != arguments.has("all") else { throw UsageError("Utilisation : \(usage)") }
        let ctx = try context()
        let view = try ctx.store.gridView(try ctx.store.resolveGrid(rest[0]), catalog: ctx.catalog)
        try requireWritable(view.id, ctx)
        let pending = view.unconfirmedPrefills
        let targets: [String]
        if rest.count == 2 {
            let criterion = try checkCriterion(rest[1], in: view, levelWrite: false)
            guard pending.contains(criterion) else {
                throw AgentError.user("Le critère « \(criterion) » n'a pas de valeur pré-remplie à confirmer.")
            }
            targets = [criterion]
        } else {
            guard !pending.isEmpty else {
                say("Aucune valeur pré-remplie à confirmer.")
                return
            }
            targets = pending
        }
        let writes = targets.map { LocalStore.Write(entity: view.id.entity, field: GridField.prefill($0), value: .null) }
        try validate(writes, view: view)
        try ctx.store.append(writes, author: ctx.me.id)
        let levels = view.levels
        say("Confirmé : " + targets.map { "\($0) \(levels[$0] ?? "—")" }.joined(separator: ", ") + ".")
    }
}

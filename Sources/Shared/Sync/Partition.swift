/// Who may see what. Every replicated entity belongs to one *scope*; a device receives the events of the
/// scopes its evaluator may see under the current roster. See docs/PROTOCOL.md, "Partitions".
///
/// | entity | scope |
/// | --- | --- |
/// | `grid/<template>/<session>/<candidate>/<situation>` | `grid/<template>/<session>/<candidate>` |
/// | `conformity/<session>/<candidate>/<template>` | `grid/<template>/<session>/<candidate>` |
/// | `candidate/<number>` | `candidate/<number>` |
/// | `evaluator/<id>` | `evaluator/<id>` |
/// | `commission/<id>`, `registration/<candidate>/<commission>` | `commission/<id>` |
/// | `establishment/<uai>`, `academy/settings`, `session/<year>` | `academy` |
public enum Partition {
    public static let academyScope = "academy"

    /// The scope of an entity; nil when the entity name is not one Grille knows.
    public static func scope(of entity: String) -> String? {
        let parts = GridID.slashParts(entity)
        guard parts.count >= 2, parts.dropFirst().allSatisfy(GridID.isSafeComponent) else { return nil }
        switch (parts[0], parts.count) {
        case ("grid", 5): return "grid/\(parts[1])/\(parts[2])/\(parts[3])"
        case ("conformity", 4): return "grid/\(parts[3])/\(parts[1])/\(parts[2])"
        case ("candidate", 2), ("evaluator", 2), ("commission", 2): return entity
        case ("registration", 3): return "commission/\(parts[2])"
        case ("establishment", 2), ("academy", 2), ("session", 2): return academyScope
        default: return nil
        }
    }

    /// True for the entities only the server writes (the roster and the academy settings).
    public static func isServerOnly(_ entity: String) -> Bool {
        !(entity.hasPrefix("grid/") || entity.hasPrefix("conformity/"))
    }

    /// Every scope `evaluatorID` may see: the academy settings and establishments, the evaluator's own
    /// commissions with their members, registered candidates and those candidates' grids for the
    /// commission's template and session. An establishment coordinator sees every commission of the
    /// establishment, an academy coordinator every commission.
    public static func scopes(for evaluatorID: String, roster: Roster) -> Set<String> {
        var scopes: Set<String> = [academyScope, "evaluator/\(evaluatorID)"]
        guard let evaluator = roster.evaluator(evaluatorID) else { return scopes }
        let commissions: [Roster.Commission]
        switch evaluator.role {
        case .academy: commissions = roster.commissions
        case .coordinator: commissions = roster.commissions.filter { $0.establishment == evaluator.establishment }
        case .teacher, .professional: commissions = roster.commissions(of: evaluatorID)
        }
        for commission in commissions {
            scopes.insert("commission/\(commission.id)")
            for member in commission.members { scopes.insert("evaluator/\(member)") }
            for candidate in roster.candidates(in: commission.id) {
                scopes.insert("candidate/\(candidate.number)")
                scopes.insert("grid/\(commission.template)/\(commission.session)/\(candidate.number)")
            }
        }
        return scopes
    }

    /// The session year of a grid or conformity entity.
    public static func session(of entity: String) -> String? {
        let parts = GridID.slashParts(entity)
        switch (parts.first, parts.count) {
        case ("grid", 5): return parts[2]
        case ("conformity", 4): return parts[1]
        default: return nil
        }
    }

    /// The commission that evaluates a grid or conformity entity.
    public static func commission(of entity: String, roster: Roster) -> Roster.Commission? {
        guard let scope = scope(of: entity), scope.hasPrefix("grid/") else { return nil }
        let parts = GridID.slashParts(scope)
        return roster.commission(forCandidate: parts[3], template: parts[1], session: parts[2])
    }

    /// The evaluators who may write to a grid or conformity entity: the members of the commission where
    /// the candidate is registered for that template and session.
    public static func writers(of entity: String, roster: Roster) -> [String]? {
        guard let scope = scope(of: entity), scope.hasPrefix("grid/") else { return nil }
        let parts = GridID.slashParts(scope)
        return roster.commission(forCandidate: parts[3], template: parts[1], session: parts[2])?.members
    }
}

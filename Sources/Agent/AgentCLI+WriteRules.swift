import Shared

/// The checks every write command makes on this laptop before it appends an event: the same rules the
/// server applies (DESIGN.md, "Validation on the server"), refused here first with a French message that
/// says what to do, so that nothing typed ends up refused or quarantined at the next sync.
extension AgentCLI {
    /// The commission that evaluates `grid`, after checking that the current evaluator sits on it, that
    /// the session is still open and, for an interview grid (situation A), that the evaluator is a teacher.
    @discardableResult
    func requireWritable(_ grid: GridID, _ ctx: Context) throws -> Roster.Commission {
        let commission = try requireMembership(grid, ctx)
        try requireOpenSession(grid.session, ctx)
        if grid.situationKind == "A" { try requireInterviewer(ctx) }
        return commission
    }

    /// Refuses writes on a session the replica knows to be « délibérée » or « publiée »: the server would
    /// put them in quarantine (« modifié après délibération »).
    func requireOpenSession(_ session: String, _ ctx: Context) throws {
        if try ctx.store.isPurged(session: session) {
            throw AgentError.user("La session \(session) a été purgée par le coordonnateur : ses grilles ont été effacées et elle n'accepte plus aucune saisie.")
        }
        let state = try GridLoader.sessionState(session, in: ctx.store.db)
        guard state == .open else {
            throw AgentError.user("La session \(session) est \(state.label) : elle est close et n'accepte plus aucune saisie (le serveur la mettrait en quarantaine). Pour une correction, adressez-vous au coordonnateur.")
        }
    }

    /// Situation A (« au fil de l'eau ») is conducted by a bloc-1 teacher: a professional, or a coordinator,
    /// does not write interview grids (GRIDS.md, "Rules").
    func requireInterviewer(_ ctx: Context) throws {
        guard ctx.me.role == .teacher else {
            throw AgentError.user("Les grilles d'entretien (situation A) sont tenues par un enseignant du bloc 1 : vous (\(ctx.me.id)) êtes enregistré comme \(AgentCLI.roleLabel(ctx.me.role)), saisie refusée.")
        }
    }

    /// The commission of a candidate's registration, for a conformity write: the current evaluator sits on
    /// it, or coordinates its establishment, or the academy.
    func requireConformityWriter(_ commission: Roster.Commission, _ ctx: Context) throws {
        switch ctx.me.role {
        case .academy: return
        case .coordinator where ctx.me.establishment == commission.establishment: return
        default:
            guard commission.members.contains(ctx.me.id) else {
                throw AgentError.user("Vous (\(ctx.me.id)) ne siégez pas dans la commission \(commission.id) qui évalue ce candidat et n'en coordonnez pas l'établissement : saisie refusée.")
            }
        }
    }

    /// « LAMBERT Claire (ev-0101) », as lists of members show them.
    static func displayName(_ evaluator: Roster.Evaluator) -> String {
        "\(evaluator.lastName.uppercased()) \(evaluator.firstName) (\(evaluator.id))"
    }

    static func displayName(_ id: String, roster: Roster) -> String {
        roster.evaluator(id).map(displayName) ?? id
    }
}

/// Builds the merged view of a grid from a replica's `state` table, with the context the grid entity
/// alone does not hold (the commission's members from the roster, the candidate's conformity). Used by
/// the agent and the server alike.
public enum GridLoader {
    public static func view(_ id: GridID, template: Template, roster: Roster, in db: Database) throws -> GridView {
        let members = roster.commission(forCandidate: id.candidate, template: id.template, session: id.session)?.members ?? []
        let context = GridView.Context(members: members,
                                       conformity: try conformity(session: id.session, candidate: id.candidate, template: id.template, in: db))
        return try GridView(id: id, template: template, fields: Materializer.fieldStates(entity: id.entity, in: db), context: context)
    }

    /// The merged conformity of a candidate for a template and session; nil when none was recorded.
    public static func conformity(session: String, candidate: String, template: String, in db: Database) throws -> Conformity? {
        let entity = Conformity.entity(session: session, candidate: candidate, template: template)
        guard let text = try db.scalarString("SELECT value FROM state WHERE entity = ? AND field = ?", entity, Conformity.field) else {
            return nil
        }
        return (try JSONValue.parse(Array(text.utf8))).stringValue.flatMap(Conformity.init(rawValue:))
    }

    /// The state of a session as the replica knows it (open when never written).
    public static func sessionState(_ session: String, in db: Database) throws -> SessionState {
        guard let text = try db.scalarString("SELECT value FROM state WHERE entity = ? AND field = ?", SessionState.entity(session), SessionState.field) else {
            return .open
        }
        return (try JSONValue.parse(Array(text.utf8))).stringValue.flatMap(SessionState.init(rawValue:)) ?? .open
    }
}

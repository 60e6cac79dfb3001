import Shared

extension LocalStore {
    /// Every grid entity present in the merged state, sorted.
    func gridIDs() throws -> [GridID] {
        try db.query("SELECT DISTINCT entity FROM state WHERE entity LIKE 'grid/%' ORDER BY entity").compactMap {
            GridID(entity: $0.string(0))
        }
    }

    /// Resolves what the user typed: a full grid id, or a unique suffix of one (for example
    /// `02614001/final` or the random part of an interview grid, `A-3f9c…` or `3f9c`).
    func resolveGrid(_ text: String) throws -> GridID {
        let all = try gridIDs()
        if let exact = all.first(where: { $0.entity == text }) { return exact }
        let matches = all.filter { $0.entity.hasSuffix(text) }
        guard !text.isEmpty, !matches.isEmpty else {
            throw AgentError.user("Grille inconnue « \(text) ». La commande « grille-agent grids » liste les grilles.")
        }
        guard matches.count == 1 else {
            let list = matches.prefix(10).map { "  " + $0.entity }.joined(separator: "\n")
            throw AgentError.user("« \(text) » désigne plusieurs grilles ; précisez :\n\(list)")
        }
        return matches[0]
    }

    func gridView(_ id: GridID, catalog: TemplateCatalog) throws -> GridView {
        guard let template = catalog[id.template] else {
            throw AgentError.user("Modèle de grille inconnu « \(id.template) ».")
        }
        do {
            return try GridLoader.view(id, template: template, roster: try roster(), in: db)
        } catch let error as GridRuleError {
            throw AgentError.user(error.message)
        }
    }

    /// The history of a grid's fields: every applied event, newest first, per field.
    func history(_ id: GridID, fieldFilter: (String) -> Bool) throws -> [(field: String, winner: String?, events: [Event])] {
        let events = try Materializer.appliedEvents(entity: id.entity, in: db).filter { fieldFilter($0.field) }
        let states = try Materializer.fieldStates(entity: id.entity, in: db)
        var byField: [String: [Event]] = [:]
        for event in events { byField[event.field, default: []].append(event) }
        return byField.keys.sorted().map { field in
            (field, states[field]?.winner.id, byField[field]!.sorted { Event.lwwPrecedes($1, $0) })
        }
    }
}

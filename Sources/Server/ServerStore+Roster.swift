import Shared

extension ServerStore {
    /// Imports a roster: the changed fields become server-written events (nothing when the files did not
    /// change), and every device whose evaluator gains or loses a scope gets a `grant` or `revoke`
    /// control, all in one transaction. Returns how many fields changed.
    @discardableResult
    func importRoster(_ newRoster: Roster, by coordinator: String) throws -> Int {
        try checkCoordinator(coordinator, in: [roster, newRoster])
        let changes = RosterEntities.changes(from: try rosterFields(), to: newRoster)
        guard !changes.isEmpty else { return 0 }
        try db.write {
            try withScopeControls {
                try writeServerEvents(changes, by: coordinator)
            }
            try audit("roster import", by: coordinator, detail: "\(changes.count) champs modifiés")
        }
        return changes.count
    }

    /// Runs `change`, which alters the merged roster entities (an import, or roster events pushed back
    /// with their receipts after a restore), reloads the roster and gives every active device a `grant`
    /// or `revoke` control for each scope it gains or loses. Call inside a write transaction.
    func withScopeControls(_ change: () throws -> Void) throws {
        let devices = try activeDevices()
        var before: [String: Set<String>] = [:]
        for device in devices { before[device.id] = Partition.scopes(for: device.evaluator, roster: roster) }
        try change()
        try reloadRoster()
        let now = clock.nowMilliseconds()
        for device in devices {
            let after = Partition.scopes(for: device.evaluator, roster: roster)
            let old = before[device.id] ?? []
            for scope in after.subtracting(old).sorted() {
                try db.run("INSERT INTO controls (device, type, scope, created_at) VALUES (?, 'grant', ?, ?)", device.id, scope, now)
            }
            for scope in old.subtracting(after).sorted() {
                try db.run("INSERT INTO controls (device, type, scope, created_at) VALUES (?, 'revoke', ?, ?)", device.id, scope, now)
            }
        }
    }

    /// `--by ID` must name a coordinator (establishment or academy) of the current or the new roster.
    func checkCoordinator(_ id: String, in rosters: [Roster]) throws {
        for roster in rosters {
            if let evaluator = roster.evaluator(id), evaluator.role == .coordinator || evaluator.role == .academy { return }
        }
        throw ServerError.user("« \(id) » n'est pas un coordonnateur de la liste : indiquez --by avec l'identifiant d'un coordonnateur.")
    }
}

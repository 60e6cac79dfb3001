import Foundation
import Shared

extension ServerStore {
    /// Resolves a grid typed by a coordinator: a full id or a unique suffix of one.
    func resolveGrid(_ text: String) throws -> GridID {
        if let id = GridID(entity: text), try db.scalarInt("SELECT 1 FROM state WHERE entity = ? LIMIT 1", text) != nil { return id }
        let matches = try db.query("SELECT DISTINCT entity FROM state WHERE entity LIKE 'grid/%' AND substr(entity, -length(?1)) = ?1 LIMIT 11", text)
            .compactMap { GridID(entity: $0.string(0)) }
        guard !text.isEmpty, !matches.isEmpty else { throw ServerError.user("Grille inconnue « \(text) ».") }
        guard matches.count == 1 else {
            throw ServerError.user("« \(text) » désigne plusieurs grilles ; précisez :\n" + matches.prefix(10).map { "  " + $0.entity }.joined(separator: "\n"))
        }
        return matches[0]
    }

    func gridView(_ id: GridID) throws -> GridView {
        guard let template = catalog[id.template] else { throw ServerError.user("Modèle de grille inconnu « \(id.template) ».") }
        return try GridLoader.view(id, template: template, roster: roster, in: db)
    }

    /// A coordinator changes a final grid's note: the jury's proposal stays, the reason is mandatory, and
    /// the value replicates to the jury's laptops (read-only there).
    func harmonise(_ text: String, halfPoints: Int, reason: String, by coordinator: String) throws -> GridView {
        let id = try resolveGrid(text)
        let view = try gridView(id)
        guard view.isFinal else { throw ServerError.user("Seule la note d'une grille finale s'harmonise.") }
        guard isCoordinator(coordinator, of: id.entity) else {
            throw ServerError.user("« \(coordinator) » ne coordonne pas l'établissement de ce candidat : harmonisation refusée.")
        }
        guard try !isPurged(id.session) else { throw ServerError.user("Session \(id.session) purgée.") }
        guard try GridLoader.sessionState(id.session, in: db) == .open else {
            throw ServerError.user("Session \(id.session) délibérée : les notes ne changent plus.")
        }
        let harmonisation = Harmonisation(note: halfPoints, reason: reason, by: coordinator)
        do { try GridRules.validateHarmonisation(harmonisation, template: view.template) } catch {
            throw ServerError.user(error.message)
        }
        try db.write {
            try writeServerEvents([FieldKey(entity: id.entity, field: GridField.harmonisation): harmonisation.json], by: coordinator)
            try audit("harmonise", by: coordinator, detail: "\(id.entity) → \(GridRules.formatNote(halfPoints: halfPoints))", session: id.session)
        }
        return try gridView(id)
    }

    /// open → deliberated → published; each step by an academy coordinator, recorded and replicated.
    func setSessionState(_ session: String, to state: SessionState, by coordinator: String) throws {
        guard roster.evaluator(coordinator)?.role == .academy else {
            throw ServerError.user("Seul un coordonnateur académique (rôle academy) délibère ou publie une session.")
        }
        guard session.count == 4, session.allSatisfy(\.isNumber) else { throw ServerError.user("Session invalide « \(session) » (une année, par exemple 2026).") }
        guard try !isPurged(session) else { throw ServerError.user("Session \(session) purgée.") }
        let current = try GridLoader.sessionState(session, in: db)
        switch (current, state) {
        case (.open, .deliberated), (.deliberated, .published): break
        case (.open, .published): throw ServerError.user("La session \(session) doit d'abord être délibérée.")
        default: throw ServerError.user("La session \(session) est déjà \(current.label).")
        }
        try db.write {
            try writeServerEvents([FieldKey(entity: SessionState.entity(session), field: SessionState.field): .string(state.rawValue)], by: coordinator)
            try audit("session \(state.rawValue)", by: coordinator, detail: session)
        }
    }

    /// The default retention date of a session: the start of the next session (1 January of the next
    /// year, in the academy's time zone), unless `session retention` recorded another date.
    func retentionDate(_ session: String) throws -> String {
        if let recorded = try meta("retention/\(session)") { return recorded }
        return "\((Int(session) ?? 0) + 1)-01-01"
    }

    func setRetentionDate(_ session: String, _ date: String, by coordinator: String) throws {
        guard roster.evaluator(coordinator)?.role == .academy else { throw ServerError.user("Réservé à un coordonnateur académique.") }
        guard GridRules.isISODate(date) else { throw ServerError.user("Date invalide « \(date) » : AAAA-MM-JJ.") }
        try db.write {
            try setMeta("retention/\(session)", date)
            try audit("retention", by: coordinator, detail: "\(session) → \(date)")
        }
    }

    struct PurgeReport: Sendable {
        let session: String
        let events: Int
        let grids: Int
        let quarantined: Int
    }

    /// Deletes every event, state row, quarantined event and detail line of a session, tells every
    /// device to delete its copy (`purge` control), and leaves no byte behind: `secure_delete` is on, then
    /// the WAL is checkpointed and truncated and the file vacuumed. Refused before the retention date
    /// unless `force`. Pushes for the session are refused from then on and never stored.
    func purge(session: String, by coordinator: String, force: Bool) throws -> PurgeReport {
        guard roster.evaluator(coordinator)?.role == .academy else {
            throw ServerError.user("Seul un coordonnateur académique (rôle academy) purge une session.")
        }
        guard try !isPurged(session) else { throw ServerError.user("Session \(session) déjà purgée.") }
        let retention = try retentionDate(session)
        let today = Self.today(clock: clock, timezone: timezone)
        if today < retention && !force {
            throw ServerError.user("Les documents de la session \(session) sont conservés jusqu'au \(retention) : purge refusée (--force pour passer outre, après export de l'archive).")
        }
        if !force { try requireArchive(session: session) }
        let report: PurgeReport = try db.write {
            let report = try deleteSession(session, by: coordinator)
            try journal.append(["type": "purge", "session": .string(session), "by": .string(coordinator), "at": .int(clock.nowMilliseconds())])
            return report
        }
        try db.checkpoint()
        try db.execute("VACUUM")
        try db.checkpoint()
        return report
    }

    /// Deletes a session's events, state, quarantine, rejections, controls and detailed audit lines,
    /// records the purge and tells every device to delete its copy. Inside the caller's transaction.
    @discardableResult
    func deleteSession(_ session: String, by coordinator: String) throws -> PurgeReport {
        let like = (grid: "grid/%/\(session)/%", conformity: "conformity/\(session)/%")
        let events = Int(try db.scalarInt("SELECT count(*) FROM events WHERE entity LIKE ? OR entity LIKE ?", like.grid, like.conformity) ?? 0)
        let grids = Int(try db.scalarInt("SELECT count(DISTINCT entity) FROM events WHERE entity LIKE ?", like.grid) ?? 0)
        let quarantined = Int(try db.scalarInt("SELECT count(*) FROM quarantine WHERE entity LIKE ? OR entity LIKE ?", like.grid, like.conformity) ?? 0)
        for table in ["events", "state", "quarantine", "rejections"] {
            try db.run("DELETE FROM \(table) WHERE entity LIKE ? OR entity LIKE ?", like.grid, like.conformity)
        }
        try Materializer.forgetDeletedReferences(in: db)
        try db.run("DELETE FROM controls WHERE scope LIKE ?", "grid/%/\(session)/%")
        try db.run("DELETE FROM audit WHERE session = ?", session)
        try db.run("INSERT INTO purged_sessions (session, purged_at, purged_by, events, grids) VALUES (?, ?, ?, ?, ?)",
                   session, clock.nowMilliseconds(), coordinator, events, grids)
        for device in try activeDevices() {
            try db.run("INSERT INTO controls (device, type, scope, created_at) VALUES (?, 'purge', ?, ?)",
                       device.id, "session/\(session)", clock.nowMilliseconds())
        }
        try audit("purge", by: coordinator, detail: "session \(session) : \(events) saisies, \(grids) grilles, \(quarantined) en quarantaine supprimées")
        return PurgeReport(session: session, events: events, grids: grids, quarantined: quarantined)
    }

    static func today(clock: any WallClock, timezone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: timezone) ?? TimeZone(identifier: "Europe/Paris")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date(timeIntervalSince1970: Double(clock.nowMilliseconds()) / 1000))
    }
}

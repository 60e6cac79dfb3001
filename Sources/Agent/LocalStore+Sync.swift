import Foundation
import Shared

/// The store's side of sync: what to push, how a push answer and a pull page change the log, the clock
/// correction after a skew refusal, revocations and purges. Every method is one transaction, so an
/// interrupted sync leaves either the whole page (with its cursor) or nothing.
extension LocalStore {
    /// Settings written by enrollment and sync.
    enum SyncKey {
        static let serverURL = "server_url"
        static let epoch = "server_epoch"
        static let cursor = "pull_cursor"
        static let controlAck = "control_ack"
        static let lastSync = "last_sync_at"
        static let clockOffset = "clock_offset_ms"
        static let enrolledEvaluator = "enrolled_evaluator"
        static let academy = "academy"
        static let timezone = "timezone"
        static let rosterSource = "roster_source"
        static let evaluator = "evaluator_id"
        /// Set by a purge, cleared once the file is compacted (checkpoint, VACUUM): see `compactIfPending()`.
        static let compactionPending = "purge_compaction_pending"
        /// Set with a new epoch (a restored server), cleared by the pull page that carried the device's
        /// scopes: kept in the file so that a sync cut between the two still reconciles on the next one.
        static let scopesPending = "scopes_reconcile_pending"
        /// `purged_session/<year>`: set when the server purged the session; writes to it are refused.
        static func purgedSession(_ session: String) -> String { "purged_session/\(session)" }
    }

    /// True once the server purged `session` (a `purge` control, or a push answered « session purgée »).
    func isPurged(session: String) throws -> Bool {
        try setting(SyncKey.purgedSession(session)) != nil
    }

    /// One event of the log with its sync bookkeeping.
    struct StoredEvent {
        let event: Event
        let origin: String
        let syncState: String
        let serverSeq: Int64?
        let receipt: String?
        let rejectCode: String?
        let rejectReason: String?
        let quarantined: Bool
        /// Length of the canonical body, for batch sizing.
        let bodyBytes: Int
    }

    /// What a push answer changed.
    struct PushOutcome: Equatable {
        var accepted = 0
        var duplicates = 0
        var rejected = 0
        /// Ids refused with `clock_skew`: still pending, to re-stamp.
        var skewed: [String] = []
        /// Ids the answer named that this log does not hold.
        var unknown = 0
        /// Refused as « session purgée »: written to `purgedFile`, then deleted from this computer.
        var purged = 0
        var purgedFile: String?
    }

    /// What one pull page changed.
    struct PageOutcome {
        var inserted = 0
        var confirmed = 0
        var controls = 0
        var rosterChanged = false
        var notices: [String] = []
    }

    func intSetting(_ key: String) throws -> Int64? {
        try setting(key).flatMap { Int64($0) }
    }

    static let storedColumns = "body, origin, sync_state, server_seq, receipt, reject_code, reject_reason, quarantined"

    static func stored(_ row: Row) throws -> StoredEvent {
        let body = row.string(0)
        return StoredEvent(event: try Event(bytes: Array(body.utf8)), origin: row.string(1), syncState: row.string(2),
                           serverSeq: row[3].int64, receipt: row.optionalString(4), rejectCode: row.optionalString(5),
                           rejectReason: row.optionalString(6), quarantined: row.int(7) != 0, bodyBytes: body.utf8.count)
    }

    /// Local events not yet accepted by the server, in HLC order; with `scope`, only that scope's.
    func pendingEvents(scope: String? = nil) throws -> [StoredEvent] {
        let order = "ORDER BY wall, counter, device, id"
        if let scope {
            return try db.query("SELECT \(Self.storedColumns) FROM events WHERE origin = 'local' AND sync_state = 'pending' AND scope = ? \(order)", scope)
                .map(Self.stored)
        }
        return try db.query("SELECT \(Self.storedColumns) FROM events WHERE origin = 'local' AND sync_state = 'pending' \(order)").map(Self.stored)
    }

    /// Every event the server once held, for a re-push after a restore: own accepted events and events
    /// pulled from others, in HLC order, with their receipts.
    func eventsForRepush() throws -> [StoredEvent] {
        try db.query("SELECT \(Self.storedColumns) FROM events WHERE sync_state IN ('accepted', 'remote') ORDER BY wall, counter, device, id")
            .map(Self.stored)
    }

    /// Local events the server has not accepted (pending and refused), in HLC order.
    func unpushedEvents() throws -> [StoredEvent] {
        try db.query("SELECT \(Self.storedColumns) FROM events WHERE origin = 'local' AND sync_state IN ('pending', 'rejected') ORDER BY wall, counter, device, id")
            .map(Self.stored)
    }

    func rejectedEvents() throws -> [StoredEvent] {
        try db.query("SELECT \(Self.storedColumns) FROM events WHERE origin = 'local' AND sync_state = 'rejected' ORDER BY wall, counter, device, id")
            .map(Self.stored)
    }

    func pendingCount() throws -> Int {
        Int(try db.scalarInt("SELECT count(*) FROM events WHERE origin = 'local' AND sync_state = 'pending'") ?? 0)
    }

    // MARK: - Push answers

    /// Applies the server's answer to a push (or the answer file of a USB import): accepted and duplicate
    /// events become `accepted` with their sequence number and receipt; refused local events leave the
    /// materialised state and stay listed as refused; `clock_skew` refusals stay pending, to re-stamp.
    func applyPushResponse(_ response: PushResponse) throws -> PushOutcome {
        try db.write {
            var outcome = PushOutcome()
            var touched = Set<FieldKey>()
            var purgedEvents: [Event] = []
            for (ack, isDuplicate) in response.accepted.map({ ($0, false) }) + response.duplicates.map({ ($0, true) }) {
                guard let row = try db.queryOne("SELECT entity, field, applied, origin FROM events WHERE id = ?", ack.id) else {
                    outcome.unknown += 1
                    continue
                }
                if isDuplicate { outcome.duplicates += 1 } else { outcome.accepted += 1 }
                try db.run("""
                    UPDATE events SET sync_state = CASE WHEN origin = 'local' THEN 'accepted' ELSE sync_state END,
                        server_seq = ?, receipt = ?, reject_code = NULL, reject_reason = NULL, quarantined = 0, applied = 1
                    WHERE id = ?
                    """, ack.seq, ack.receipt, ack.id)
                if row.int(2) == 0 { touched.insert(FieldKey(entity: row.string(0), field: row.string(1))) }
            }
            for rejection in response.rejected {
                guard let row = try db.queryOne("SELECT entity, field, origin, sync_state FROM events WHERE id = ?", rejection.id) else {
                    outcome.unknown += 1
                    continue
                }
                outcome.rejected += 1
                // Only a local event still waiting for its answer changes: an accepted one stays accepted
                // (an old answer file), a re-pushed event of another author stays as the server sent it.
                guard row.string(2) == "local", row.string(3) == "pending" else { continue }
                if rejection.code == "clock_skew" {
                    outcome.skewed.append(rejection.id)
                    continue
                }
                if rejection.code == "session_purged", let stored = try db.queryOne("SELECT body FROM events WHERE id = ?", rejection.id) {
                    // The session is gone from the server: no byte of it may stay here, but what was typed
                    // is not lost either: it goes to a file first, as for a `purge` control.
                    purgedEvents.append(try Event(bytes: Array(stored.string(0).utf8)))
                    try db.run("DELETE FROM events WHERE id = ?", rejection.id)
                    try db.run("DELETE FROM dangling_prev WHERE event = ?", rejection.id)
                    touched.insert(FieldKey(entity: row.string(0), field: row.string(1)))
                    continue
                }
                try db.run("""
                    UPDATE events SET sync_state = 'rejected', applied = 0, reject_code = ?, reject_reason = ?, quarantined = ?
                    WHERE id = ?
                    """, rejection.code, rejection.message, rejection.quarantined, rejection.id)
                touched.insert(FieldKey(entity: row.string(0), field: row.string(1)))
            }
            try Materializer.refresh(touched, in: db)
            if !purgedEvents.isEmpty {
                let path = datedFileName("saisies-refusees-session-purgee")
                try LocalStore.writeEventLines(purgedEvents, to: path)
                for session in Set(purgedEvents.compactMap { Partition.session(of: $0.entity) }) {
                    try setInTransaction(SyncKey.purgedSession(session), "1")
                }
                try setInTransaction(SyncKey.compactionPending, "1")
                outcome.purged = purgedEvents.count
                outcome.purgedFile = path
                try addNotice(kind: "purge", message: "\(purgedEvents.count) saisie(s) pour une session purgée par le coordonnateur ont été refusées par le serveur : elles ont été enregistrées dans « \(path) » puis effacées de la base. Ce fichier contient des données de la session purgée : supprimez-le dès qu'il n'est plus utile.")
            }
            return outcome
        }
    }

    /// After a `clock_skew` refusal: records the offset that brings this computer's clock to the
    /// server's, sets the persisted clock back to the highest stamp the server accepted, then re-stamps
    /// every local pending event in its order (same id, value and `prev`; a new stamp, above every
    /// accepted one). Those events were never accepted anywhere, so their ids are still free.
    /// Returns how many events were re-stamped.
    @discardableResult
    func correctClock(offsetMilliseconds offset: Int64) throws -> Int {
        try db.write {
            try db.run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                       SyncKey.clockOffset, String(offset))
            if let top = try db.queryOne("SELECT wall, counter FROM events WHERE sync_state IN ('accepted', 'remote') ORDER BY wall DESC, counter DESC LIMIT 1") {
                try db.run("INSERT INTO clock (id, wall, counter) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET wall = ?1, counter = ?2",
                           top.int64(0), top.int64(1))
            } else {
                try db.run("DELETE FROM clock")
            }
            var touched = Set<FieldKey>()
            let pending = try pendingEvents()
            for stored in pending {
                let old = stored.event
                let event = Event(id: old.id, entity: old.entity, field: old.field, value: old.value, hlc: try tick(),
                                  author: old.author, prev: old.prev)
                try db.run("UPDATE events SET body = ?, wall = ?, counter = ?, device = ? WHERE id = ?",
                           event.canonicalString, event.hlc.wall, event.hlc.counter, event.device, event.id)
                touched.insert(event.key)
            }
            try Materializer.refresh(touched, in: db)
            return pending.count
        }
    }

    // MARK: - Pull pages

    /// Applies one pull page in one transaction: the controls in order, then the events (new ones are
    /// inserted, own pending ones become accepted), then the cursor and the control acknowledgement,
    /// then the roster tables when roster entities changed.
    func applyPullPage(events: [PulledEvent], controls: [SyncControl], cursor: Int64, controlAck: Int64,
                       scopesReconciled: Bool = false) throws -> PageOutcome {
        try db.write {
            var outcome = PageOutcome()
            for control in controls {
                outcome.controls += 1
                switch control.type {
                case "revoke":
                    let removed = try deleteScope(control.scope)
                    if Self.isRosterScope(control.scope) { outcome.rosterChanged = true }
                    if removed > 0 {
                        // What this laptop may no longer see must not stay in free pages or the WAL either.
                        try setInTransaction(SyncKey.compactionPending, "1")
                        outcome.notices.append("Accès retiré par le serveur : « \(control.scope) » (\(removed) saisie(s) supprimée(s) de cet ordinateur).")
                    }
                case "purge":
                    // What this laptop typed for the session and the server never took goes to a file first.
                    let saved = try saveUnpushedEvents(ofSession: control.scope)
                    let removed = try purgeSession(control.scope)
                    try setInTransaction(SyncKey.purgedSession(String(control.scope.dropFirst("session/".count))), "1")
                    try setInTransaction(SyncKey.compactionPending, "1")
                    var notice = "Session purgée par le serveur : « \(control.scope) » (\(removed) saisie(s) supprimée(s) de cet ordinateur)."
                    if let saved {
                        notice += " \(saved.count) saisie(s) jamais acceptée(s) par le serveur ont d'abord été enregistrée(s) dans « \(saved.path) » ; ce fichier contient des données de la session purgée : supprimez-le dès qu'il n'est plus utile."
                    }
                    outcome.notices.append(notice)
                default:
                    // `grant`: the scope's history comes in this page's events.
                    if Self.isRosterScope(control.scope) { outcome.rosterChanged = true }
                }
            }
            var touched = Set<FieldKey>()
            var added: [Event] = []
            for pulled in events {
                let event = pulled.event
                if Self.isRosterScope(Partition.scope(of: event.entity) ?? "") { outcome.rosterChanged = true }
                guard let row = try db.queryOne("SELECT body, origin, sync_state, applied FROM events WHERE id = ?", event.id) else {
                    try insert(event, origin: "remote", syncState: "remote", serverSeq: pulled.seq, receipt: pulled.receipt)
                    added.append(event)
                    outcome.inserted += 1
                    continue
                }
                let body = event.canonicalString
                if row.string(1) == "local" {
                    // The server holds this event: it is accepted, in the server's version (a re-stamped copy
                    // whose first version was accepted without the answer reaching us gives way to it).
                    if row.string(2) != "accepted" { outcome.confirmed += 1 }
                    try db.run("""
                        UPDATE events SET sync_state = 'accepted', server_seq = ?, receipt = ?, reject_code = NULL,
                            reject_reason = NULL, quarantined = 0, applied = 1, body = ?, wall = ?, counter = ?, device = ?
                        WHERE id = ?
                        """, pulled.seq, pulled.receipt, body, event.hlc.wall, event.hlc.counter, event.device, event.id)
                    if row.int(3) == 0 || row.string(0) != body {
                        touched.insert(event.key)
                        try advanceClock(to: event.hlc)
                    }
                } else {
                    try db.run("UPDATE events SET server_seq = ?, receipt = ? WHERE id = ?", pulled.seq, pulled.receipt, event.id)
                }
            }
            // New events join their fields' stored heads; fields whose own events changed are recomputed.
            try Materializer.apply(added, in: db)
            try Materializer.refresh(touched, in: db)
            try setInTransaction(SyncKey.cursor, String(cursor))
            try setInTransaction(SyncKey.controlAck, String(controlAck))
            if scopesReconciled { try setInTransaction(SyncKey.scopesPending, nil) }
            if outcome.rosterChanged { try rebuildRosterFromEntities() }
            for notice in outcome.notices { try addNotice(kind: "control", message: notice) }
            return outcome
        }
    }

    /// The scopes this laptop holds events of, its own refused events aside (they stay whatever happens).
    func heldScopes() throws -> Set<String> {
        Set(try db.query("SELECT DISTINCT scope FROM events WHERE scope IS NOT NULL AND NOT (origin = 'local' AND sync_state = 'rejected')")
            .map { $0.string(0) })
    }

    static func isRosterScope(_ scope: String) -> Bool {
        scope == Partition.academyScope || scope.hasPrefix("commission/") || scope.hasPrefix("candidate/")
            || scope.hasPrefix("evaluator/")
    }

    /// Deletes a revoked scope: its events and state rows. Local events the server never accepted stay
    /// in the log, out of the state, listed as refused (« accès retiré ») so that nothing typed is lost.
    func deleteScope(_ scope: String) throws -> Int {
        try db.write {
            try db.run("""
                UPDATE events SET sync_state = 'rejected', applied = 0, reject_code = 'revoked',
                    reject_reason = 'Accès retiré avant l''envoi de cette saisie.'
                WHERE scope = ? AND origin = 'local' AND sync_state = 'pending'
                """, scope)
            try db.run("DELETE FROM state WHERE entity IN (SELECT DISTINCT entity FROM events WHERE scope = ?)", scope)
            try db.run("DELETE FROM events WHERE scope = ? AND NOT (origin = 'local' AND sync_state = 'rejected')", scope)
            let removed = db.changes
            try Materializer.forgetDeletedReferences(in: db)
            return removed
        }
    }

    /// Deletes the grids and conformity records of a purged session (`session/<year>`), whatever their state.
    func purgeSession(_ scope: String) throws -> Int {
        guard let scopes = try gridScopes(ofSession: scope) else { return 0 }
        return try db.write {
            var removed = 0
            // Earlier notices may name the session's grids (a revoked candidate, for example).
            try db.run("DELETE FROM notices WHERE message LIKE '%grid/%/' || ? || '/%'", String(scope.dropFirst("session/".count)))
            for scope in scopes {
                try db.run("DELETE FROM state WHERE entity IN (SELECT DISTINCT entity FROM events WHERE scope = ?)", scope)
                try db.run("DELETE FROM events WHERE scope = ?", scope)
                removed += db.changes
            }
            try Materializer.forgetDeletedReferences(in: db)
            return removed
        }
    }

    /// Rebuilds the roster tables from the merged roster entities (`roster_source = server`).
    func rebuildRosterFromEntities() throws {
        var fields: [FieldKey: JSONValue] = [:]
        let sql = """
            SELECT entity, field, value FROM state WHERE entity LIKE 'establishment/%' OR entity LIKE 'evaluator/%'
                OR entity LIKE 'commission/%' OR entity LIKE 'candidate/%' OR entity LIKE 'registration/%'
            """
        for row in try db.query(sql) {
            fields[FieldKey(entity: row.string(0), field: row.string(1))] = try JSONValue.parse(Array(row.string(2).utf8))
        }
        try replaceRoster(RosterEntities.roster(from: fields), source: "server")
    }

    /// Forgets the cursor and control acknowledgements after a server restore and records its new epoch.
    func resetForEpoch(_ epoch: String) throws {
        try db.write {
            try setInTransaction(SyncKey.epoch, epoch)
            try setInTransaction(SyncKey.cursor, "0")
            try setInTransaction(SyncKey.controlAck, "0")
            try setInTransaction(SyncKey.scopesPending, "1")
        }
    }

    /// Writes (or, with nil, removes) a setting inside the caller's transaction.
    func setInTransaction(_ key: String, _ value: String?) throws {
        if let value {
            try db.run("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
        } else {
            try db.run("DELETE FROM settings WHERE key = ?", key)
        }
    }

    // MARK: - Notices

    func addNotice(kind: String, message: String) throws {
        try db.run("INSERT INTO notices (at, kind, message) VALUES (?, ?, ?)", clock.nowMilliseconds(), kind, message)
    }

    func recentNotices(limit: Int = 10) throws -> [(at: Int64, kind: String, message: String)] {
        try db.query("SELECT at, kind, message FROM notices ORDER BY id DESC LIMIT ?", limit).map { ($0.int64(0), $0.string(1), $0.string(2)) }
    }
}

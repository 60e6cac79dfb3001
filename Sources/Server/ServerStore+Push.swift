import Shared

extension ServerStore {
    /// Ingests one push batch in one transaction: each accepted event gets the next sequence number and
    /// a receipt, the materialised state of the touched fields is updated, duplicates are acknowledged
    /// again, and every refused event is answered alone (never blocking the others). Events written by
    /// an evaluator who is not (or no longer) on the grid's commission are kept in the quarantine.
    /// See DESIGN.md, "Sync", and docs/PROTOCOL.md.
    func push(_ request: PushRequest, from device: Device, source: String? = nil) throws -> PushResponse {
        let now = clock.nowMilliseconds()
        var accepted: [PushAck] = []
        var duplicates: [PushAck] = []
        var rejected: [PushRejection] = []
        var maxOffset: Int64?
        // Roster events come back only with their receipts (a re-push after a restore): the roster they
        // restore changes who sees what, exactly as an import does.
        let carriesRoster = request.items.contains { item in
            if case .event(let event) = item { return Partition.isServerOnly(event.entity) }
            return false
        }
        func ingest() throws {
            var applied: [Event] = []
            var sessions: [String: SessionLookup] = [:]
            for item in request.items {
                switch item {
                case .malformed(let index, let id, let reason):
                    let rejection = PushRejection(id: id ?? "#\(index)", code: "bad_event", message: "Saisie mal formée, refusée : \(reason)")
                    try logRejection(rejection, device: device)
                    rejected.append(rejection)
                case .event(let event):
                    let offset = event.hlc.wall - now
                    maxOffset = max(maxOffset ?? offset, offset)
                    switch try admit(event, receipt: request.receipts[event.id], device: device, now: now, sessions: &sessions) {
                    case .duplicate(let ack):
                        duplicates.append(ack)
                    case .accept(let scope):
                        accepted.append(try insert(event, scope: scope, from: source ?? device.id))
                        applied.append(event)
                    case .reject(let rejection):
                        if rejection.quarantined {
                            try db.run("""
                                INSERT INTO quarantine (id, body, device, author, entity, code, reason, received_at)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
                                """, event.id, event.canonicalString, device.id, event.author, event.entity,
                                rejection.code, rejection.message, now)
                        }
                        try logRejection(rejection, device: device, entity: rejection.code == "session_purged" ? nil : event.entity)
                        rejected.append(rejection)
                    }
                }
            }
            try Materializer.apply(applied, in: db)
            try touch(device, offset: maxOffset)
        }
        try db.write {
            if carriesRoster { try withScopeControls(ingest) } else { try ingest() }
        }
        return PushResponse(accepted: accepted, duplicates: duplicates, rejected: rejected, epoch: epoch, serverTime: now)
    }

    enum Admission {
        case duplicate(PushAck)
        case accept(scope: String)
        case reject(PushRejection)
    }

    /// What the validation reads about a session; it cannot change during one push (only the server and
    /// its coordinators write it), so a push looks it up once per session.
    struct SessionLookup {
        let purged: Bool
        let state: SessionState
    }

    /// The validation of DESIGN.md, "Validation on the server", for one event.
    func admit(_ event: Event, receipt: String?, device: Device, now: Int64,
               sessions: inout [String: SessionLookup]) throws -> Admission {
        func reject(_ code: String, _ message: String, offset: Int64? = nil, quarantined: Bool = false) -> Admission {
            .reject(PushRejection(id: event.id, code: code, message: message, offsetMilliseconds: offset, quarantined: quarantined))
        }
        if let row = try db.queryOne("SELECT body, seq, receipt FROM events WHERE id = ?", event.id) {
            if row.string(0) == event.canonicalString {
                return .duplicate(PushAck(id: event.id, seq: row.int64(1), receipt: row.string(2)))
            }
            return reject("id_conflict", "Une autre saisie porte déjà cet identifiant : refusée.")
        }
        // A valid receipt proves the server accepted this exact event before (re-push after a restore).
        let vouched = receipt.map { Receipt.isValid($0, for: event, key: receiptKey) } ?? false
        // The entity name is cut once: a grid's scope, session and commission come from its id.
        let gridID = GridID(entity: event.entity)
        guard let scope = gridID.map({ "grid/\($0.template)/\($0.session)/\($0.candidate)" }) ?? Partition.scope(of: event.entity) else {
            return reject("bad_entity", "Entité inconnue « \(event.entity) ».")
        }
        if let session = gridID?.session ?? Partition.session(of: event.entity) {
            let lookup: SessionLookup
            if let known = sessions[session] {
                lookup = known
            } else {
                lookup = SessionLookup(purged: try isPurged(session), state: try GridLoader.sessionState(session, in: db))
                sessions[session] = lookup
            }
            if lookup.purged {
                return reject("session_purged", "Session \(session) purgée : cette saisie n'est pas conservée.")
            }
            if !vouched, lookup.state != .open {
                return reject("session_deliberated", "Session \(session) délibérée : saisie modifiée après délibération, mise en quarantaine pour le coordonnateur.",
                              quarantined: true)
            }
        }
        if vouched { return .accept(scope: scope) }
        guard event.author == device.evaluator else {
            return reject("wrong_author", "Cette saisie est signée « \(event.author) », mais l'appareil appartient à « \(device.evaluator) ».")
        }
        if event.hlc.wall - now > maxSkewMilliseconds {
            let minutes = (event.hlc.wall - now) / 60_000
            return reject("clock_skew", "L'horloge de cet ordinateur avance d'environ \(minutes) minutes sur celle du serveur.",
                          offset: event.hlc.wall - now)
        }
        if Partition.isServerOnly(event.entity) {
            return reject("server_only", "Seul le serveur écrit la liste (« \(event.entity) »).")
        }
        if let grid = gridID {
            guard let template = catalog[grid.template] else {
                return reject("unknown_template", "Modèle de grille inconnu « \(grid.template) ».")
            }
            do {
                try GridRules.validate(field: event.field, value: event.value, grid: grid, template: template)
            } catch {
                return reject(error.code, error.message)
            }
        } else if event.entity.hasPrefix("conformity/") {
            do { try GridRules.validateConformity(field: event.field, value: event.value) } catch {
                return reject(error.code, error.message)
            }
        }
        let members = gridID.map { roster.commission(forCandidate: $0.candidate, template: $0.template, session: $0.session)?.members ?? [] }
            ?? Partition.writers(of: event.entity, roster: roster) ?? []
        let mayWrite = members.contains(event.author) || (event.entity.hasPrefix("conformity/") && isCoordinator(event.author, of: event.entity))
        guard mayWrite else {
            return reject("not_member", "« \(event.author) » ne siège pas (ou plus) dans la commission de ce candidat : saisie mise en quarantaine pour le coordonnateur.",
                          quarantined: true)
        }
        if let grid = gridID, grid.situationKind == "A", roster.evaluator(event.author)?.role != .teacher {
            return reject("not_teacher", "Les grilles d'entretien (situation A) sont tenues par un enseignant du bloc 1.")
        }
        if let signer = GridField.signer(of: event.field), signer != event.author, event.value != .null {
            // A co-signature on the author's laptop: the signer sits on the commission, the author witnesses.
            guard members.contains(signer), event.value["witness"]?.stringValue == event.author,
                  let name = event.value["name"]?.stringValue, !name.trimmingWhitespace().isEmpty else {
                return reject("foreign_signature", "Une signature au nom d'un autre membre exige son nom et votre témoignage (--name, --witness).")
            }
        }
        return .accept(scope: scope)
    }

    func logRejection(_ rejection: PushRejection, device: Device, entity: String? = nil) throws {
        try db.run("INSERT INTO rejections (id, device, code, reason, at, entity) VALUES (?, ?, ?, ?, ?, ?)",
                   rejection.id, device.id, rejection.code, rejection.message, clock.nowMilliseconds(), entity)
    }

    /// True when `evaluator` coordinates the establishment of the entity's commission, or the academy.
    func isCoordinator(_ evaluator: String, of entity: String) -> Bool {
        guard let person = roster.evaluator(evaluator) else { return false }
        switch person.role {
        case .academy: return true
        case .coordinator: return Partition.commission(of: entity, roster: roster)?.establishment == person.establishment
        default: return false
        }
    }

    func isPurged(_ session: String) throws -> Bool {
        try db.scalarInt("SELECT 1 FROM purged_sessions WHERE session = ?", session) != nil
    }

    /// The quarantined events, oldest first.
    func quarantine() throws -> [(event: Event, device: String, code: String, reason: String, at: Int64)] {
        try db.query("SELECT body, device, code, reason, received_at FROM quarantine ORDER BY received_at, id").map { row in
            (try Event(bytes: Array(row.string(0).utf8)), row.string(1), row.string(2), row.string(3), row.int64(4))
        }
    }
}

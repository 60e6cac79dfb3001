import Foundation
@testable import Agent
@testable import Server
@testable import Shared

/// The end of a run: the network heals, every laptop syncs until nothing changes, then the invariants of
/// issue 7 are checked over the events the server acknowledged and that were not purged.
extension Simulation {
    enum SyncOutcome: Equatable {
        case moved, idle
        case failed(String)
    }

    /// Faults stop, the server is up, held requests arrive, the coordinator makes sure the roster is the
    /// current one (after a restore it may be older), then every live laptop syncs, round after round,
    /// until a whole round moves nothing.
    func settle() throws {
        network.faultsOn = false
        for agent in agents where agent.isLive {
            agent.link.offline = false
            if agent.link.dead { agent.crash() }
            agent.link.crashCountdown = nil
        }
        try server.start()
        network.drain()
        try scanLedger()
        checkServerRoster(when: "avant la dernière importation de la liste")
        if try !roster.matches(server.admin { $0.roster }) {
            try server.admin { _ = try $0.importRoster(roster.roster, by: SimRoster.coordinator) }
            stats.add("roster imports")
            note("liste réimportée (le serveur en avait une autre)")
        }
        var failures: [Int: String] = [:]
        for round in 0..<12 {
            let head = try server.admin { try $0.head() }
            var moved = false
            failures = [:]
            for agent in agents where agent.isLive {
                if agent.phase == .fresh || agent.needsEnrollment {
                    try enroll(agent)
                    moved = true
                    continue
                }
                switch try settleSync(agent) {
                case .moved: moved = true
                case .idle: break
                case .failed(let message):
                    moved = true
                    failures[agent.slot] = message
                }
            }
            try scanLedger()
            // Laptops push back roster events a restore took away, some older than a later import
            // the restore lost too: the coordinator imports the current roster again once they have
            // synced (docs/OPERATIONS.md, « Restauration »).
            if try !roster.matches(server.admin { $0.roster }) {
                try server.admin { _ = try $0.importRoster(roster.roster, by: SimRoster.coordinator) }
                stats.add("roster imports")
                note("liste réimportée après les synchronisations (le serveur en avait une autre)")
                moved = true
            }
            if !moved, try head == server.admin({ try $0.head() }) {
                note("quiescence après \(round + 1) tour(s)")
                return
            }
        }
        let detail = failures.sorted { $0.key < $1.key }.map { "a\($0.key) : \($0.value)" }.joined(separator: " ; ")
        violation("pas de quiescence après 12 tours de synchronisation sans panne\(detail.isEmpty ? "" : " (\(detail))")")
    }

    func settleSync(_ agent: SimAgent) throws -> SyncOutcome {
        stats.add("syncs")
        do {
            let summary = try agent.sync(configuration: syncConfiguration)
            stats.add("syncs completed")
            if summary.restamped > 0 { stats.add("clock corrections"); stats.add("events re-stamped", summary.restamped) }
            stats.add("events re-pushed", summary.repushed)
            stats.add("events rejected or quarantined", summary.rejected)
            let moved = summary.pushed + summary.pulled + summary.confirmed + summary.controls + summary.repushed + summary.restamped > 0
                || summary.epochChanged
            if moved { note("\(agent.name) : sync → \(summary.line)") }
            return moved ? .moved : .idle
        } catch let error as SyncError {
            stats.add("syncs failed")
            switch error {
            case .wiped:
                agent.phase = .wiped
                stats.add("wipes")
                note("\(agent.name) : révoqué, données effacées")
                return .moved
            case .unauthorized:
                agent.needsEnrollment = true
                note("\(agent.name) : jeton inconnu du serveur")
                return .moved
            default:
                note("\(agent.name) : sync échoue sans panne : \(error.message)")
                return .failed(error.message)
            }
        }
    }

    // MARK: - Invariants

    func check() throws {
        checkServerRoster(when: "à la fin")
        let serverRoster = try server.admin { $0.roster }
        if !roster.matches(serverRoster) {
            violation("la liste du serveur n'est pas celle importée en dernier par les coordonnateurs")
        }

        // 1. Every acknowledged event that was not purged is on the server, unchanged.
        let onServer = try server.admin { store in
            try store.db.query("SELECT id, body FROM events").map { ($0.string(0), $0.string(1)) }
        }
        let serverBodies = Dictionary(onServer, uniquingKeysWith: { first, _ in first })
        var reference: [Event] = []
        for id in ledgerOrder {
            guard let entry = ledger[id] else { continue }
            if let session = Partition.session(of: entry.event.entity), purged.contains(session) {
                if serverBodies[id] != nil { violation("saisie d'une session purgée encore sur le serveur : \(Self.describe(entry.event))") }
                continue
            }
            if serverBodies[id] == nil {
                if let loss = restoreLosses[id] {
                    let keepers = loss.holders.filter { !agents[$0].revoked }
                    if keepers.isEmpty {
                        // Only the server (or laptops revoked since) held it: no replica could give it back.
                        stats.add("unrecoverable after restore")
                        continue
                    }
                    violation("saisie perdue par la restauration du pas \(loss.step) et jamais renvoyée, alors que \(keepers.sorted().map { agents[$0].name }.joined(separator: ", ")) la détenai(en)t : \(Self.describe(entry.event)) (acceptée au pas \(entry.firstSeen))")
                } else {
                    violation("saisie acceptée au pas \(entry.firstSeen) absente du serveur : \(Self.describe(entry.event))")
                }
            } else if serverBodies[id] != entry.event.json.canonicalString {
                violation("saisie \(id) différente sur le serveur de celle acceptée")
            }
            reference.append(entry.event)
        }
        stats.add("events accepted", ledger.count)
        stats.add("events checked", reference.count)

        // 2. The server's state is the LWW fold of those events.
        let folded = Merge.fold(reference)
        let serverHash = try server.admin { try Materializer.stateHash(in: $0.db) }
        if serverHash != Merge.stateHash(folded.values) {
            let differences = try server.admin { try Self.differences(in: $0.db, from: folded, scopes: nil) }
            violation("état du serveur ≠ fusion LWW des saisies acceptées : \(differences)")
        }

        // 3. Every laptop that synced last holds, for each scope it may see, that same state, and nothing
        //    outside its partition.
        for agent in agents where agent.phase == .enrolled {
            try checkReplica(agent, folded: folded, roster: serverRoster)
        }

        // 4. No purged byte anywhere: the database files of the server and of every laptop.
        for session in purged.sorted() {
            let needle = "\(Simulation.marker)-\(session)-"
            var files = RawFiles.databaseFiles(server.path)
            for agent in agents { files += RawFiles.databaseFiles(agent.databasePath) }
            for file in RawFiles.containing(needle, in: files) {
                violation("octets de la session purgée \(session) encore dans \(file.replacingOccurrences(of: root + "/", with: ""))")
            }
        }

        // 5. Files are sound.
        let serverCheck = try server.admin { try $0.db.scalarString("PRAGMA quick_check") }
        if serverCheck != "ok" { violation("serveur : quick_check \(serverCheck ?? "?")") }
        for agent in agents where agent.phase == .enrolled {
            let result = try agent.openStore().db.scalarString("PRAGMA quick_check")
            if result != "ok" { violation("\(agent.name) : quick_check \(result ?? "?")") }
        }
    }

    /// The roster the server serves from (kept in memory) must be the one its merged state describes.
    func checkServerRoster(when: String) {
        do {
            let (memory, fromState) = try server.admin { store -> (Roster, Roster) in
                var fields: [FieldKey: JSONValue] = [:]
                try store.db.forEach("SELECT entity, field, value FROM state") { row in
                    guard let scope = Partition.scope(of: row.string(0)), LocalStore.isRosterScope(scope) else { return }
                    fields[FieldKey(entity: row.string(0), field: row.string(1))] = try JSONValue.parse(Array(row.string(2).utf8))
                }
                return (store.roster, RosterEntities.roster(from: fields))
            }
            if RosterEntities.fields(of: memory) != RosterEntities.fields(of: fromState) {
                violation("\(when) : la liste que le serveur applique (en mémoire) n'est pas celle de son état fusionné")
            }
        } catch {
            violation("\(when) : lecture de la liste du serveur impossible : \(error)")
        }
    }

    func checkReplica(_ agent: SimAgent, folded: [FieldKey: FieldState], roster: Roster) throws {
        stats.add("replicas checked")
        if agent.revoked { violation("\(agent.name) : révoqué mais toujours inscrit après la dernière synchronisation") }
        let scopes = Partition.scopes(for: agent.evaluator, roster: roster)
        let db = try agent.openStore().db
        let pending = try db.scalarInt("SELECT count(*) FROM events WHERE origin = 'local' AND sync_state = 'pending'") ?? 0
        if pending > 0 { violation("\(agent.name) : \(pending) saisie(s) encore en attente après quiescence") }
        var outside: [String] = []
        try db.forEach("SELECT entity, field, origin, sync_state FROM events") { row in
            // A laptop keeps its own refused writes (listed as refused) whatever their scope: typed work is never lost.
            if row.string(2) == "local" && row.string(3) == "rejected" { return }
            if !scopes.contains(Partition.scope(of: row.string(0)) ?? "") { outside.append("\(row.string(0)) \(row.string(1)) [\(row.string(3))]") }
        }
        if !outside.isEmpty {
            violation("\(agent.name) : \(outside.count) saisie(s) hors de sa partition, par exemple \(outside.prefix(3).joined(separator: " ; "))")
        }
        let visible = folded.filter { scopes.contains(Partition.scope(of: $0.key.entity) ?? "") }
        var hasher = StateHasher()
        var stray: [String] = []
        try db.forEach("SELECT entity, field, value, event_id, heads FROM state ORDER BY entity, field") { row in
            guard scopes.contains(Partition.scope(of: row.string(0)) ?? "") else {
                stray.append("\(row.string(0)) \(row.string(1))")
                return
            }
            let heads = try JSONValue.parse(Array(row.string(4).utf8)).arrayValue?.compactMap(\.stringValue) ?? []
            hasher.add(entity: row.string(0), field: row.string(1), value: try JSONValue.parse(Array(row.string(2).utf8)),
                       winner: row.string(3), heads: heads)
        }
        if !stray.isEmpty {
            violation("\(agent.name) : état hors de sa partition : \(stray.prefix(3).joined(separator: " ; "))")
        }
        if hasher.finalize() != Merge.stateHash(visible.values) {
            violation("\(agent.name) : état ≠ celui du serveur pour ses périmètres : \(try Self.differences(in: db, from: visible, scopes: scopes))")
        }
    }

    /// Up to five fields where a state table and the reference disagree.
    static func differences(in db: Database, from reference: [FieldKey: FieldState], scopes: Set<String>?) throws -> String {
        var seen: [FieldKey: (winner: String, heads: [String])] = [:]
        try db.forEach("SELECT entity, field, event_id, heads FROM state") { row in
            if let scopes, !scopes.contains(Partition.scope(of: row.string(0)) ?? "") { return }
            let heads = try JSONValue.parse(Array(row.string(3).utf8)).arrayValue?.compactMap(\.stringValue) ?? []
            seen[FieldKey(entity: row.string(0), field: row.string(1))] = (row.string(2), heads.sorted())
        }
        var lines: [String] = []
        for key in Set(seen.keys).union(reference.keys).sorted() {
            let mine = seen[key]
            let theirs = reference[key].map { (winner: $0.winner.id, heads: $0.heads.map(\.id).sorted()) }
            if mine?.winner == theirs?.winner && mine?.heads == theirs?.heads { continue }
            let have = mine.map { "gagnant \($0.winner.prefix(8)), \($0.heads.count) tête(s)" } ?? "absent"
            let want = theirs.map { "gagnant \($0.winner.prefix(8)), \($0.heads.count) tête(s)" } ?? "absent"
            lines.append("\(key.entity) \(key.field) : \(have), attendu \(want)")
            if lines.count == 5 { break }
        }
        return lines.isEmpty ? "(aucune différence de champ : ordre ou valeurs)" : lines.joined(separator: " ; ")
    }

    static func describe(_ event: Event) -> String {
        "\(event.entity) \(event.field) = \(event.value.canonicalString) par \(event.author) (\(event.id.prefix(8)))"
    }
}

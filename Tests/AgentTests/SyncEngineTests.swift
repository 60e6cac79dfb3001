import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import Shared

@Suite struct SyncEngineTests {
    static func events(of push: PushRequest) -> [Event] {
        push.items.compactMap { if case .event(let event) = $0 { event } else { nil } }
    }

    static func localEvents(_ store: LocalStore) throws -> [LocalStore.StoredEvent] {
        try store.db.query("SELECT \(LocalStore.storedColumns) FROM events WHERE origin = 'local' ORDER BY seqno").map(LocalStore.stored)
    }

    /// The state equals the pure merge of the applied events of the log.
    static func expectStateMatchesLog(_ store: LocalStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let applied = try store.db.query("SELECT body FROM events WHERE applied = 1").map { try Event(bytes: Array($0.string(0).utf8)) }
        #expect(try store.stateHash() == Merge.stateHash(Merge.fold(applied).values), sourceLocation: sourceLocation)
    }

    @Test func pendingEventsArePushedInHLCOrderInBatchesWithinTheEventAndByteLimits() throws {
        let tmp = TemporaryDirectory("push")
        defer { tmp.remove() }
        let server = FakeServer()
        let transport = ScriptedTransport(server: server)
        let bench = SyncBench(tmp, clock: server.clock, transport: transport)
        let store = try bench.store()
        var written: [Event] = []
        for _ in 0..<5 {
            written += try store.append(SyncFixtures.writes(500), author: "ev-0101")
            bench.clock.advance(-5_000)   // the wall clock goes back: the HLC order still holds
        }
        let summary = try bench.engine(store) { $0.pushBatchEvents = 1_000 }.sync()
        #expect(transport.pushes.map(\.items.count) == [1_000, 1_000, 500])
        let sent = transport.pushes.flatMap(Self.events)
        #expect(sent.map(\.id) == written.sorted { Event.lwwPrecedes($0, $1) }.map(\.id))
        for (a, b) in zip(sent, sent.dropFirst()) { #expect(a.hlc < b.hlc) }
        #expect(summary.pushed == 2_500 && summary.accepted == 2_500 && summary.rejected == 0)
        #expect(try store.pendingCount() == 0)
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE sync_state = 'accepted' AND server_seq > 0 AND length(receipt) = 64") == 2_500)
        // Own events coming back in the pull are confirmed, not duplicated.
        #expect(try store.db.scalarInt("SELECT count(*) FROM events") == 2_500)
        try Self.expectStateMatchesLog(store)

        // A byte limit cuts batches too; nothing already accepted is sent again.
        let more = try store.append(SyncFixtures.writes(200), author: "ev-0101")
        let before = transport.pushes.count
        _ = try bench.engine(store) { $0.pushBatchBytes = 20_000 }.sync()
        let bytePushes = transport.requests.filter { $0.target == "/v1/sync/push" }.dropFirst(before)
        #expect(bytePushes.count > 1)
        for request in bytePushes { #expect(request.body.count <= 20_000) }
        #expect(transport.pushes.dropFirst(before).flatMap(Self.events).map(\.id) == more.map(\.id))
        let idle = transport.pushes.count
        _ = try bench.engine(store).sync()
        #expect(transport.pushes.count == idle)
    }

    @Test func rejectedEventsLeaveTheStateAndAreListedByStatusWithTheirReason() throws {
        let tmp = TemporaryDirectory("rejected")
        defer { tmp.remove() }
        let server = FakeServer()
        let transport = ScriptedTransport(server: server)
        let bench = SyncBench(tmp, clock: server.clock, transport: transport)
        try bench.enrollDirectly()
        let store = try bench.store()
        try store.append([.init(entity: SyncFixtures.grid, field: "note", value: .int(20))], author: "ev-0101")
        _ = try bench.engine(store).sync()

        server.reject = { event in
            switch event.field {
            case "note": PushRejection(id: event.id, code: "not_member", message: "Vous ne siégez plus dans cette commission.", quarantined: true)
            case "comment/prospection.2": PushRejection(id: event.id, code: "bad_event", message: "Saisie mal formée.")
            default: nil
            }
        }
        try store.append([.init(entity: SyncFixtures.grid, field: "note", value: .int(29)),
                          .init(entity: SyncFixtures.grid, field: "comment/prospection.1", value: "Bien."),
                          .init(entity: SyncFixtures.grid, field: "comment/prospection.2", value: "Refusé.")], author: "ev-0101")
        let summary = try bench.engine(store).sync()
        #expect(summary.accepted == 1 && summary.rejected == 2)
        let state = try Materializer.fieldStates(entity: SyncFixtures.grid, in: store.db)
        #expect(state["note"]?.value == .int(20), "the refused note leaves the state: the accepted one shows again")
        #expect(state["comment/prospection.1"]?.value == "Bien.")
        #expect(state["comment/prospection.2"] == nil)
        try Self.expectStateMatchesLog(store)

        let status = bench.cli("status", "--json")
        #expect(status.status == 0, "\(status.stderr)")
        let json = try JSONValue.parse(status.stdout)
        #expect(json["rejected"]?.arrayValue?.count == 1)
        #expect(json["rejected"]?.arrayValue?.first?["code"] == "bad_event")
        #expect(json["rejected"]?.arrayValue?.first?["reason"] == "Saisie mal formée.")
        #expect(json["quarantined"]?.arrayValue?.first?["code"] == "not_member")
        #expect(json["pending"]?.intValue == 0)
        let text = bench.cli("status").stdout
        #expect(text.contains("refusé : \(SyncFixtures.grid) comment/prospection.2 = Refusé. — Saisie mal formée."))
        #expect(text.contains("en quarantaine"))

        // Refused events are not pushed again.
        let pushes = transport.pushes.count
        _ = try bench.engine(store).sync()
        #expect(transport.pushes.count == pushes)
    }

    @Test func aClockSkewRefusalCorrectsTheOffsetRestampsAndPushesAgainWithIncreasingStamps() throws {
        let tmp = TemporaryDirectory("skew")
        defer { tmp.remove() }
        let serverClock = ManualClock(1_763_824_800_000)
        let agentClock = ManualClock(serverClock.nowMilliseconds() + 20 * 60_000)   // 20 minutes ahead
        let server = FakeServer(clock: serverClock)
        server.seed([SyncFixtures.remote("r1", wall: serverClock.nowMilliseconds() - 60_000)])
        let transport = ScriptedTransport(server: server)
        let bench = SyncBench(tmp, clock: agentClock, transport: transport)
        try bench.enrollDirectly()
        let store = try bench.store()
        _ = try bench.engine(store).sync()
        let written = try store.append(SyncFixtures.writes(3), author: "ev-0101")
            + store.append([.init(entity: SyncFixtures.grid, field: "note", value: .int(30))], author: "ev-0101")

        let summary = try bench.engine(store).sync()
        #expect(summary.restamped == 4 && summary.accepted == 4 && summary.rejected == 0)
        #expect(summary.notices.contains { $0.contains("avançait de 20 minutes") && $0.contains("renvoyées") }, "\(summary.notices)")
        #expect(summary.clockOffsetMilliseconds == -20 * 60_000)
        let pushes = transport.pushes.map(Self.events)
        #expect(pushes.count == 2)
        #expect(pushes[0].map(\.id) == written.map(\.id) && pushes[1].map(\.id) == written.map(\.id), "same ids, same order")
        #expect(pushes[1].map(\.value) == written.map(\.value))
        #expect(pushes[1].map(\.prev) == written.map(\.prev))
        let local = try Self.localEvents(store).map(\.event)
        #expect(local.map(\.id) == written.map(\.id))
        for event in local { #expect(abs(event.hlc.wall - serverClock.nowMilliseconds()) < 1_000) }
        for (a, b) in zip(local, local.dropFirst()) { #expect(a.hlc < b.hlc) }
        #expect(local.allSatisfy { $0.hlc > server.log[0].event.hlc })
        try Self.expectStateMatchesLog(store)

        // Later writes use the corrected clock and never go below the re-stamped ones.
        agentClock.advance(1)
        let later = try store.append([.init(entity: SyncFixtures.grid, field: "note", value: .int(31))], author: "ev-0101")[0]
        #expect(later.hlc > local.last!.hlc)
        #expect(later.hlc.wall < serverClock.nowMilliseconds() + 60_000)
        let again = try bench.engine(store).sync()
        #expect(again.accepted == 1 && again.restamped == 0)
        #expect(bench.cli("status").stdout.contains("Correction d'horloge : −20 min"))
    }

    @Test func anInterruptedPullResumesFromTheSavedCursor() throws {
        let tmp = TemporaryDirectory("resume")
        defer { tmp.remove() }
        let server = FakeServer()
        let remote = (0..<25).map { SyncFixtures.remote("r\($0)", field: "comment/prospection.\($0 % 4 + 1)", value: .string("c\($0)"), wall: 1_000 + Int64($0)) }
        server.seed(remote)
        let handler: @Sendable (TransportRequest) -> TransportResponse = { server.handle($0) }
        let transport = ScriptedTransport([.handle(handler), .handle(handler), .fail(TransportError("connexion coupée"))], fallback: handler)
        let bench = SyncBench(tmp, clock: server.clock, transport: transport)
        let store = try bench.store()
        let engine = bench.engine(store) {
            $0.pullLimit = 10
            $0.retry.attempts = 1
        }
        #expect(throws: SyncError.unreachable("connexion coupée")) { try engine.sync() }
        #expect(try store.intSetting(LocalStore.SyncKey.cursor) == 20)
        #expect(try store.db.scalarInt("SELECT count(*) FROM events") == 20)

        let summary = try bench.engine(store) { $0.pullLimit = 10 }.sync()
        #expect(transport.pullTargets.dropFirst(3).first == "/v1/sync/pull?after=20&limit=10")
        #expect(summary.pulled == 5 && summary.cursor == 25)
        #expect(try store.stateHash() == Merge.stateHash(Merge.fold(remote).values))
    }

    @Test func grantRevokeAndPurgeControlsChangeTheLocalDataAndAreAcknowledged() throws {
        let tmp = TemporaryDirectory("controls")
        defer { tmp.remove() }
        let server = FakeServer()
        let scope = "grid/ndrc-e4-ccf/2026/02614002"
        server.visible = { Partition.scope(of: $0.entity) != "grid/ndrc-e4-ccf/2026/02614002" }
        server.seed([SyncFixtures.remote("g1", wall: 1_000), SyncFixtures.remote("g2", field: "option", value: "evenement", wall: 1_001),
                     SyncFixtures.remote("k1", entity: SyncFixtures.grid, field: "comment/prospection.1", value: "x", wall: 1_002)])
        let transport = ScriptedTransport(server: server)
        let bench = SyncBench(tmp, clock: server.clock, transport: transport)
        let store = try bench.store()
        _ = try bench.engine(store).sync()
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE scope = ?", scope) == 0)

        // grant: the scope's history arrives with it, whatever the cursor; acknowledged on the next pull.
        server.locked { server.controls = [SyncControl(id: 1, type: "grant", scope: scope)] }
        let granted = try bench.engine(store).sync()
        #expect(granted.controls == 1 && granted.pulled == 2)
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE scope = ?", scope) == 2)
        #expect(transport.pullTargets.last?.hasSuffix("&ack=1&epoch=epoch-1") == true)
        #expect(server.locked { server.controls.isEmpty })

        // revoke: what is pending for the scope is pushed first, then the scope is deleted locally.
        let pending = try store.append([.init(entity: SyncFixtures.otherGrid, field: "note", value: .int(33))], author: "ev-0101")[0]
        server.locked { server.controls = [SyncControl(id: 2, type: "revoke", scope: scope)] }
        let before = transport.requests.count
        #expect(try bench.engine(store).pullAll() == nil)
        let after = transport.requests.dropFirst(before)
        #expect(after.first?.target.hasPrefix("/v1/sync/pull") == true)
        #expect(after.dropFirst().first?.target == "/v1/sync/push", "the pending event goes out before the scope is deleted")
        #expect(server.log.contains { $0.event.id == pending.id })
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE scope = ?", scope) == 0)
        #expect(try store.db.scalarInt("SELECT count(*) FROM state WHERE entity = ?", SyncFixtures.otherGrid) == 0)
        #expect(try store.db.scalarInt("SELECT count(*) FROM state WHERE entity = ?", SyncFixtures.grid) == 1)
        #expect(transport.pullTargets.last?.hasSuffix("&ack=2&epoch=epoch-1") == true)
        #expect(try store.recentNotices().contains { $0.message.contains("Accès retiré") })
        try Self.expectStateMatchesLog(store)

        // purge: the session's grids go, another session's stay.
        let old = "grid/ndrc-e4-ccf/2025/02614001/final"
        try store.append([.init(entity: old, field: "note", value: .int(20))], author: "ev-0101")
        _ = try bench.engine(store).sync()
        server.locked { server.controls = [SyncControl(id: 3, type: "purge", scope: "session/2026")] }
        let purged = try bench.engine(store).sync()
        #expect(purged.notices.contains { $0.contains("Session purgée") })
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE entity LIKE 'grid/%/2026/%'") == 0)
        #expect(try store.db.scalarInt("SELECT count(*) FROM state WHERE entity LIKE 'grid/%/2026/%'") == 0)
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE entity = ?", old) == 1)
        try Self.expectStateMatchesLog(store)

        // An already applied control sent again (a lost acknowledgement) is not applied twice.
        try store.append([.init(entity: SyncFixtures.grid, field: "note", value: .int(21))], author: "ev-0101")
        server.locked { server.controls = [SyncControl(id: 3, type: "purge", scope: "session/2026")]; server.acknowledged = 0 }
        let replay = try bench.engine(store).sync()
        #expect(replay.controls == 0)
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE entity = ?", SyncFixtures.grid) == 1)
    }

    @Test func rosterEntitiesFromTheServerRebuildTheLocalRoster() throws {
        let tmp = TemporaryDirectory("roster")
        defer { tmp.remove() }
        let roster = try Roster.load(directory: URL(fileURLWithPath: Repository.demoRoster), templateIDs: Set(TemplateCatalog.bundled().ids))
        let server = FakeServer()
        let fields = RosterEntities.fields(of: roster).sorted { $0.key < $1.key }
        server.seed(fields.enumerated().map { index, field in
            Event(id: "roster-\(index)", entity: field.key.entity, field: field.key.field, value: field.value,
                  hlc: HybridLogicalClock(wall: 1_000, counter: Int64(index), device: "server"), author: "server", prev: [])
        })
        let bench = SyncBench(tmp, clock: server.clock, transport: ScriptedTransport(server: server))
        let store = try bench.store()
        _ = try bench.engine(store) { $0.pullLimit = 50 }.sync()
        let local = try store.roster()
        #expect(local == RosterEntities.roster(from: RosterEntities.fields(of: roster)))
        #expect(Set(local.commissions) == Set(roster.commissions) && Set(local.candidates) == Set(roster.candidates))
        #expect(try store.setting(LocalStore.SyncKey.rosterSource) == "server")

        // A revoked commission leaves the local roster.
        let commission = roster.commissions[0].id
        server.locked { server.controls = [SyncControl(id: 1, type: "revoke", scope: "commission/\(commission)")] }
        _ = try bench.engine(store).sync()
        #expect(try store.roster().commission(commission) == nil)
        #expect(try store.roster().commissions.count == roster.commissions.count - 1)
    }

    @Test func aNewEpochRepushesOwnAndOthersEventsWithTheirReceiptsThenPullsAgain() throws {
        let tmp = TemporaryDirectory("epoch")
        defer { tmp.remove() }
        let server = FakeServer()
        server.seed([SyncFixtures.remote("r1", wall: 1_000), SyncFixtures.remote("r2", field: "option", value: "evenement", wall: 1_001),
                     SyncFixtures.remote("r3", entity: SyncFixtures.grid, field: "comment/information.1", value: "y", wall: 1_002)])
        let transport = ScriptedTransport(server: server)
        let bench = SyncBench(tmp, clock: server.clock, transport: transport)
        try bench.enrollDirectly()
        let store = try bench.store()
        let own = try store.append(SyncFixtures.writes(2), author: "ev-0101")
        _ = try bench.engine(store).sync()
        #expect(server.head == 5)
        let hash = try store.stateHash()

        // Restored from a backup holding only the first event, with a new epoch.
        server.restore(keepingThrough: 1, epoch: "epoch-2")
        let summary = try bench.engine(store).sync()
        #expect(summary.epochChanged && summary.repushed == 5)
        let repush = transport.pushes.last!
        #expect(Set(repush.receipts.keys) == Set(["r1", "r2", "r3"] + own.map(\.id)))
        #expect(Set(server.receiptChecks.keys) == Set(["r2", "r3"] + own.map(\.id)))
        #expect(server.receiptChecks.values.allSatisfy { $0 })
        #expect(Set(server.log.map(\.event.id)) == Set(["r1", "r2", "r3"] + own.map(\.id)))
        #expect(try store.setting(LocalStore.SyncKey.epoch) == "epoch-2")
        #expect(summary.cursor == server.head)
        #expect(transport.pullTargets.last?.hasPrefix("/v1/sync/pull?after=") == true)
        #expect(try store.stateHash() == hash)
        #expect(try store.db.scalarInt("SELECT count(*) FROM events") == 5)

        // Same epoch but a head below the cursor: the same recovery.
        server.restore(keepingThrough: 2, epoch: "epoch-2")
        let again = try bench.engine(store).sync()
        #expect(again.epochChanged && again.repushed == 5)
        #expect(server.head == 5)
        #expect(again.cursor == 5)
    }

    /// Found by seed 3082 of the simulation: a sync saw the restore (new epoch saved) and was cut before
    /// the pull that carries the device's scopes; the next sync, a new process, no longer asked for them
    /// and the laptop kept a scope the restored server no longer gave it.
    @Test func aRestoreSeenByACutSyncStillReconcilesScopesOnTheNextSync() throws {
        let tmp = TemporaryDirectory("restore-scopes")
        defer { tmp.remove() }
        let server = FakeServer()
        server.seed([SyncFixtures.remote("r1", entity: SyncFixtures.grid, field: "comment/information.1", value: "x", wall: 1_000),
                     SyncFixtures.remote("r2", entity: "evaluator/ev-0199", field: "first_name", value: "Ana", wall: 1_001)])
        let transport = ScriptedTransport(server: server)
        let bench = SyncBench(tmp, clock: server.clock, transport: transport)
        try bench.enrollDirectly()
        let store = try bench.store()
        _ = try bench.engine(store).sync()
        #expect(try store.heldScopes().contains("evaluator/ev-0199"))

        // Restored; this first sync sees the new epoch but its answers carry no scopes (as when it is
        // cut before the scopes page): the need to reconcile stays in the file.
        server.restore(keepingThrough: 2, epoch: "epoch-2")
        #expect(try bench.engine(store).sync().epochChanged)
        #expect(try store.setting(LocalStore.SyncKey.scopesPending) == "1")
        #expect(try store.heldScopes().contains("evaluator/ev-0199"))

        // The next sync, by a new engine, asks for the scopes and drops the one no longer given.
        server.allowedScopes = [Partition.scope(of: SyncFixtures.grid)!]
        let before = transport.pullTargets.count
        _ = try bench.engine(store).sync()
        #expect(transport.pullTargets.dropFirst(before).first?.contains("scopes=1") == true)
        #expect(try !store.heldScopes().contains("evaluator/ev-0199"))
        #expect(try store.heldScopes().contains(Partition.scope(of: SyncFixtures.grid)!))
        #expect(try store.setting(LocalStore.SyncKey.scopesPending) == nil)
        // Reconciled once: later pulls no longer ask.
        let after = transport.pullTargets.count
        _ = try bench.engine(store).sync()
        #expect(transport.pullTargets.dropFirst(after).allSatisfy { !$0.contains("scopes=1") })
    }

    @Test func deviceRevokedWritesTheUnpushedEventsToAFileThenWipesTheData() throws {
        let tmp = TemporaryDirectory("revoked")
        defer { tmp.remove() }
        let server = FakeServer()
        server.reject = { $0.field == "note" ? PushRejection(id: $0.id, code: "bad_event", message: "Non.") : nil }
        let bench = SyncBench(tmp, clock: server.clock, transport: ScriptedTransport(server: server))
        try bench.enrollDirectly()
        let store = try bench.store()
        try store.append(SyncFixtures.writes(2), author: "ev-0101")
        let refused = try store.append([.init(entity: SyncFixtures.grid, field: "note", value: .int(12))], author: "ev-0101")
        _ = try bench.engine(store).sync()
        let pending = try store.append(SyncFixtures.writes(3, entity: SyncFixtures.otherGrid), author: "ev-0101")

        let revoked = SyncBench(tmp, clock: server.clock, transport: ScriptedTransport(fallback: { _ in
            FakeServer.error(401, "device_revoked", "Cet appareil a été révoqué.")
        }))
        let result = revoked.cli("sync")
        #expect(result.status == 1)
        #expect(result.stderr.contains("révoqué") && result.stderr.contains("4 saisie(s) non envoyée(s)"), "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: bench.data).filter { $0.hasPrefix("saisies-non-envoyees-") }
        #expect(files.count == 1)
        #expect(result.stderr.contains(files.first ?? "?"))
        let lines = try String(contentsOfFile: bench.data + "/" + files[0], encoding: .utf8).split(separator: "\n")
        let saved = try lines.map { try Event(bytes: Array($0.utf8)) }
        #expect(Set(saved.map(\.id)) == Set((refused + pending).map(\.id)))
        #expect(!FileManager.default.fileExists(atPath: bench.data + "/agent.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: bench.data + "/token"))
    }

    @Test func aPlainUnauthorizedAnswerDeletesNothing() throws {
        let tmp = TemporaryDirectory("unauth")
        defer { tmp.remove() }
        let bench = SyncBench(tmp, transport: ScriptedTransport(fallback: { _ in FakeServer.error(401, "unauthorized", "Jeton inconnu.") }))
        try bench.enrollDirectly()
        try bench.store().append(SyncFixtures.writes(2), author: "ev-0101")
        let result = bench.cli("sync")
        #expect(result.status == 1)
        #expect(result.stderr.contains("Rien n'a été supprimé"), "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: bench.data + "/token"))
        #expect(try bench.store().pendingCount() == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: bench.data).allSatisfy { !$0.hasPrefix("saisies-") })
    }

    @Test(arguments: [nil, 503] as [Int?])
    func transportErrorsAndServerFailuresAreRetriedWithBackoffThenSucceed(status: Int?) throws {
        let tmp = TemporaryDirectory("retry")
        defer { tmp.remove() }
        let server = FakeServer()
        let failing = FailingTransport(failures: 3, status: status, then: ScriptedTransport(server: server))
        let bench = SyncBench(tmp, clock: server.clock, transport: failing)
        let store = try bench.store()
        try store.append(SyncFixtures.writes(4), author: "ev-0101")
        let delays = CapturedOutput()
        let summary = try bench.engine(store) {
            $0.retry = SyncEngine.RetryPolicy(attempts: 4, baseDelay: 0.5, maxDelay: 30, sleep: { delays.sink.out(String($0)); return true })
        }.sync()
        #expect(summary.accepted == 4)
        let waited = delays.stdout.split(separator: "\n").compactMap { Double($0) }
        #expect(waited.count == 3)
        for (index, delay) in waited.enumerated() {
            let nominal = 0.5 * pow(2, Double(index))
            #expect(delay >= nominal * 0.5 && delay <= nominal * 1.5, "attempt \(index + 1): \(delay)")
        }

        // Out of attempts: an error, nothing lost.
        let down = SyncBench(tmp, clock: server.clock, transport: FailingTransport(failures: 100, status: status, then: ScriptedTransport(server: server)))
        try store.append(SyncFixtures.writes(1), author: "ev-0101")
        #expect(throws: SyncError.self) { try down.engine(store).sync() }
        #expect(try store.pendingCount() == 1)
    }
}

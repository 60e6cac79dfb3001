import Foundation
import Testing
import TestSupport
@testable import Server
@testable import Shared

/// A server store on a temporary file with the demo roster imported.
struct ServerFixture {
    let tmp = TemporaryDirectory("server")
    let clock = ManualClock()
    let store: ServerStore

    init() throws {
        store = try ServerStore.initialise(path: tmp.sub("server.sqlite"), academy: "Académie de démonstration", timezone: "Europe/Paris", clock: clock)
        let roster = try Roster.load(directory: URL(fileURLWithPath: Repository.demoRoster), templateIDs: Set(store.catalog.ids))
        try store.importRoster(roster, by: "ev-0112")
    }

    func device(_ evaluator: String, id: String? = nil) throws -> (Device, String) {
        let (code, _) = try store.createEnrollmentCode(for: evaluator, ttlMilliseconds: 3_600_000, by: "ev-0112")
        let answer = try store.enroll(EnrollRequest(code: code, device: id ?? "dev-\(evaluator)"))
        return (try store.authenticate(token: answer.token), answer.token)
    }

    func event(_ field: String, _ value: JSONValue, by author: String, device: String, candidate: String = "02614001",
               wall: Int64? = nil, prev: [String] = []) -> Event {
        Event(id: SecureRandom.uuid(), entity: "grid/ndrc-e4-ccf/2026/\(candidate)/final", field: field, value: value,
              hlc: HybridLogicalClock(wall: wall ?? clock.nowMilliseconds(), counter: 0, device: device), author: author, prev: prev)
    }
}

@Suite struct ServerStoreTests {
    @Test func theRosterBecomesServerEventsAndReimportingChangesNothing() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        #expect(f.store.roster.candidates.count == 30)
        #expect(f.store.roster.commission(forCandidate: "02614001", template: "ndrc-e4-ccf", session: "2026")?.members == ["ev-0101", "ev-0102"])
        let head = try f.store.head()
        let roster = try Roster.load(directory: URL(fileURLWithPath: Repository.demoRoster), templateIDs: Set(f.store.catalog.ids))
        #expect(try f.store.importRoster(roster, by: "ev-0112") == 0)
        #expect(try f.store.head() == head)
        #expect(throws: ServerError.self) { try f.store.importRoster(roster, by: "ev-0101") }   // a teacher is not a coordinator
    }

    @Test func enrollmentCodesAreOneTimeExpireAndNeverBurnOnAMismatch() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (code, _) = try f.store.createEnrollmentCode(for: "ev-0101", ttlMilliseconds: 60_000, by: "ev-0112")
        #expect(code.count >= 32)
        #expect(throws: ServerError.self) { try f.store.enroll(EnrollRequest(code: code, device: "dev-x", evaluator: "ev-0102")) }
        let answer = try f.store.enroll(EnrollRequest(code: code.lowercased(), device: "dev-x", evaluator: "ev-0101"))
        #expect(answer.evaluator == "ev-0101")
        #expect(answer.token.count == 64)
        #expect(try f.store.db.scalarInt("SELECT count(*) FROM devices WHERE token_hash = ?", answer.token) == 0)   // only the hash is kept
        do { _ = try f.store.enroll(EnrollRequest(code: code, device: "dev-y")); Issue.record("reused") } catch let e as ServerError {
            #expect(e.code == "invalid_code")
        }
        let (late, _) = try f.store.createEnrollmentCode(for: "ev-0102", ttlMilliseconds: 1_000, by: "ev-0112")
        f.clock.advance(2_000)
        do { _ = try f.store.enroll(EnrollRequest(code: late, device: "dev-z")); Issue.record("expired accepted") } catch let e as ServerError {
            #expect(e.message.contains("expiré"))
        }
        #expect(throws: ServerError.self) { try f.store.createEnrollmentCode(for: "ev-9999", ttlMilliseconds: 1, by: "ev-0112") }
    }

    /// Found by the simulation: a laptop's enrollment request held by the network arrives after the laptop,
    /// having timed out, enrolled with a newer code. The late request must not replace the token the
    /// laptop now holds; a newer code (the answer of the first enrollment was lost) still re-enrolls.
    @Test func aLateEnrollmentWithAnOlderCodeDoesNotReplaceTheDevicesToken() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (held, _) = try f.store.createEnrollmentCode(for: "ev-0101", ttlMilliseconds: 600_000, by: "ev-0112")
        f.clock.advance(1_000)
        let (fresh, _) = try f.store.createEnrollmentCode(for: "ev-0101", ttlMilliseconds: 600_000, by: "ev-0112")
        f.clock.advance(1_000)
        let kept = try f.store.enroll(EnrollRequest(code: fresh, device: "dev-late"))
        f.clock.advance(1_000)
        do { _ = try f.store.enroll(EnrollRequest(code: held, device: "dev-late")); Issue.record("stale code accepted") } catch let e as ServerError {
            #expect(e.status == 409 && e.code == "device_exists")
        }
        #expect(try f.store.authenticate(token: kept.token).id == "dev-late")
        // The answer of `kept` lost: a code made after that enrollment gives the laptop a new token.
        let (newer, _) = try f.store.createEnrollmentCode(for: "ev-0101", ttlMilliseconds: 600_000, by: "ev-0112")
        let again = try f.store.enroll(EnrollRequest(code: newer, device: "dev-late"))
        #expect(try f.store.authenticate(token: again.token).id == "dev-late")
        #expect(throws: ServerError.self) { try f.store.authenticate(token: kept.token) }
    }

    /// A successor pushed before its predecessor (a re-push after a restore, USB files): the server
    /// records the dangling reference, so when the predecessor arrives the successor stays the only head.
    @Test func aPredecessorArrivingAfterItsSuccessorDoesNotBecomeAHead() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (teacher, _) = try f.device("ev-0101")
        let first = f.event("comment/prospection.1", "premier", by: "ev-0101", device: teacher.id)
        let second = f.event("comment/prospection.1", "second", by: "ev-0101", device: teacher.id,
                             wall: first.hlc.wall + 1, prev: [first.id])
        #expect(try f.store.push(PushRequest(events: [second]), from: teacher).accepted.count == 1)
        #expect(try f.store.db.scalarInt("SELECT count(*) FROM dangling_prev WHERE ref = ? AND event = ?", first.id, second.id) == 1)
        #expect(try f.store.push(PushRequest(events: [first]), from: teacher).accepted.count == 1)
        let heads = try f.store.db.scalarString("SELECT heads FROM state WHERE entity = ? AND field = ?", first.entity, first.field)
        #expect(heads == "[\"\(second.id)\"]")
        let incremental = try Materializer.stateHash(in: f.store.db)
        try Materializer.rebuild(in: f.store.db)
        #expect(try Materializer.stateHash(in: f.store.db) == incremental)
    }

    @Test func aRevokedDeviceIsToldSoAndAnUnknownTokenIsPlainUnauthorized() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (device, token) = try f.device("ev-0101")
        try f.store.revoke(device: device.id, by: "ev-0112")
        do { _ = try f.store.authenticate(token: token); Issue.record("revoked accepted") } catch let e as ServerError {
            #expect(e.code == "device_revoked")
            #expect(e.status == 401)
        }
        do { _ = try f.store.authenticate(token: String(repeating: "0", count: 64)); Issue.record("bad token") } catch let e as ServerError {
            #expect(e.code == "unauthorized")
        }
    }

    @Test func pushIsIdempotentAndAnswersEveryEventAlone() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (device, _) = try f.device("ev-0101")
        let good = f.event("level/prospection.1", "S", by: "ev-0101", device: device.id)
        let bad = f.event("level/prospection.1", "Z", by: "ev-0101", device: device.id)
        let forged = f.event("note", 20, by: "ev-0102", device: device.id)
        let future = f.event("note", 20, by: "ev-0101", device: device.id, wall: f.clock.nowMilliseconds() + 3_600_000)
        let foreign = f.event("note", 20, by: "ev-0101", device: device.id, candidate: "02614013")
        let roster = Event(id: SecureRandom.uuid(), entity: "candidate/02614001", field: "last_name", value: "X",
                           hlc: HybridLogicalClock(wall: f.clock.nowMilliseconds(), counter: 0, device: device.id), author: "ev-0101", prev: [])
        let request = PushRequest(events: [good, bad, forged, future, foreign, roster])
        let first = try f.store.push(request, from: device)
        #expect(first.accepted.map(\.id) == [good.id])
        let codes = Dictionary(uniqueKeysWithValues: first.rejected.map { ($0.id, $0) })
        #expect(codes[bad.id]?.code == "unknown_level")
        #expect(codes[forged.id]?.code == "wrong_author")
        #expect(codes[future.id]?.code == "clock_skew")
        #expect(codes[future.id]?.offsetMilliseconds == 3_600_000)
        #expect(codes[foreign.id]?.code == "not_member")
        #expect(codes[foreign.id]?.quarantined == true)
        #expect(codes[roster.id]?.code == "server_only")
        #expect(Receipt.isValid(first.accepted[0].receipt, for: good, key: f.store.receiptKey))
        // The same push twice more: duplicates with the same seq and receipt, nothing new.
        let head = try f.store.head()
        for _ in 0..<2 {
            let again = try f.store.push(request, from: device)
            #expect(again.accepted.isEmpty)
            #expect(again.duplicates == first.accepted)
        }
        #expect(try f.store.head() == head)
        // Same id, other content: refused.
        let tampered = Event(id: good.id, entity: good.entity, field: good.field, value: "TS", hlc: good.hlc, author: good.author, prev: [])
        #expect(try f.store.push(PushRequest(events: [tampered]), from: device).rejected.first?.code == "id_conflict")
        #expect(try f.store.quarantine().map(\.event.id) == [foreign.id])
    }

    @Test func anEventOfAnotherAuthorIsAcceptedOnlyWithAValidReceipt() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (teacher, _) = try f.device("ev-0101")
        let (pro, _) = try f.device("ev-0102")
        let e = f.event("level/prospection.2", "TS", by: "ev-0101", device: teacher.id)
        let ack = try f.store.push(PushRequest(events: [e]), from: teacher).accepted[0]
        // Another server (a restore) that lacks it accepts it from the other laptop with the receipt.
        try f.store.db.write {
            try f.store.db.run("DELETE FROM events WHERE id = ?", e.id)
            try Materializer.refresh([e.key], in: f.store.db)
        }
        #expect(try f.store.push(PushRequest(events: [e], receipts: [e.id: String(repeating: "a", count: 64)]), from: pro).rejected.first?.code == "wrong_author")
        #expect(try f.store.push(PushRequest(events: [e], receipts: [e.id: ack.receipt]), from: pro).accepted.map(\.id) == [e.id])
    }

    @Test func pullSendsOnlyTheDevicesPartitionWithAScanLimitedCursor() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (teacher, _) = try f.device("ev-0101")
        let (other, _) = try f.device("ev-0105")   // commission cm-e4-02
        _ = try f.store.push(PushRequest(events: [f.event("note", 29, by: "ev-0101", device: teacher.id)]), from: teacher)
        var cursor: Int64 = 0
        var seen: [Event] = []
        var pages = 0
        repeat {
            let page = try f.store.pull(device: other, after: cursor, limit: 50, ack: nil)
            seen += page.events.map(\.event)
            cursor = page.cursor
            pages += 1
            if !page.more { break }
        } while true
        #expect(pages > 1)
        #expect(cursor == (try f.store.head()))
        #expect(!seen.contains { $0.entity.hasPrefix("grid/") })
        #expect(!seen.contains { $0.entity == "candidate/02614001" })
        #expect(seen.contains { $0.entity == "candidate/02614013" })
        let mine = try f.store.pull(device: teacher, after: 0, limit: 10_000, ack: nil)
        #expect(mine.events.contains { $0.event.entity.hasPrefix("grid/ndrc-e4-ccf/2026/02614001") })
        #expect(!mine.more)
    }

    /// After a restore lost a roster import, laptops push its events back with their receipts: the roster
    /// they restore changes who sees what exactly as the import did (found by the simulation).
    @Test func rosterEventsPushedBackWithTheirReceiptsGrantAndRevokeLikeAnImport() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (teacher, _) = try f.device("ev-0101")
        let (newcomer, _) = try f.device("ev-0103")   // not on cm-e4-01
        let before = try f.store.head()
        var roster = f.store.roster
        roster = Roster(establishments: roster.establishments, evaluators: roster.evaluators,
                        commissions: roster.commissions.map { $0.id == "cm-e4-01" ? Roster.Commission(id: $0.id, establishment: $0.establishment, template: $0.template, session: $0.session, members: ["ev-0103", "ev-0102"]) : $0 },
                        candidates: roster.candidates, registrations: roster.registrations)
        #expect(try f.store.importRoster(roster, by: "ev-0104") > 0)
        // The import's events with their receipts, as a laptop holds them; then the server loses them.
        var events: [Event] = []
        var receipts: [String: String] = [:]
        for row in try f.store.db.query("SELECT body, receipt FROM events WHERE seq > ? ORDER BY seq", before) {
            let event = try Event(json: try JSONValue.parse(Array(row.string(0).utf8)))
            events.append(event)
            receipts[event.id] = row.string(1)
        }
        #expect(!events.isEmpty)
        try f.store.db.write {
            try f.store.db.run("DELETE FROM events WHERE seq > ?", before)
            try f.store.db.run("DELETE FROM controls")
            try Materializer.refresh(Set(events.map(\.key)), in: f.store.db)
            try f.store.reloadRoster()
        }
        #expect(f.store.roster.commission(forCandidate: "02614001", template: "ndrc-e4-ccf", session: "2026")?.members == ["ev-0101", "ev-0102"])

        let answer = try f.store.push(PushRequest(events: events, receipts: receipts), from: teacher)
        #expect(answer.accepted.count == events.count && answer.rejected.isEmpty)
        #expect(f.store.roster.commission(forCandidate: "02614001", template: "ndrc-e4-ccf", session: "2026")?.members == ["ev-0103", "ev-0102"])
        let granted = try f.store.pull(device: newcomer, after: try f.store.head(), limit: 10_000, ack: nil)
        #expect(granted.controls.contains { $0.type == "grant" && $0.scope == "grid/ndrc-e4-ccf/2026/02614001" })
        let revoked = try f.store.pull(device: teacher, after: try f.store.head(), limit: 10_000, ack: nil)
        #expect(revoked.controls.contains { $0.type == "revoke" && $0.scope == "grid/ndrc-e4-ccf/2026/02614001" })
        // And a write of the member who left is no longer admitted.
        let late = f.event("level/prospection.2", "I", by: "ev-0101", device: teacher.id)
        #expect(try f.store.push(PushRequest(events: [late]), from: teacher).rejected.first?.quarantined == true)
    }

    @Test func rosterChangesGrantTheWholeHistoryAndRevoke() throws {
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (teacher, _) = try f.device("ev-0101")
        let (newcomer, _) = try f.device("ev-0103")   // not on cm-e4-01
        let written = f.event("level/prospection.1", "S", by: "ev-0101", device: teacher.id)
        _ = try f.store.push(PushRequest(events: [written]), from: teacher)
        let caughtUp = try f.store.pull(device: newcomer, after: 0, limit: 10_000, ack: nil)
        #expect(!caughtUp.events.contains { $0.event.id == written.id })
        // ev-0103 joins cm-e4-01, ev-0101 leaves it.
        var roster = f.store.roster
        roster = Roster(establishments: roster.establishments, evaluators: roster.evaluators,
                        commissions: roster.commissions.map { $0.id == "cm-e4-01" ? Roster.Commission(id: $0.id, establishment: $0.establishment, template: $0.template, session: $0.session, members: ["ev-0103", "ev-0102"]) : $0 },
                        candidates: roster.candidates, registrations: roster.registrations)
        #expect(try f.store.importRoster(roster, by: "ev-0104") > 0)
        let granted = try f.store.pull(device: newcomer, after: caughtUp.cursor, limit: 10_000, ack: nil)
        #expect(granted.controls.contains { $0.type == "grant" && $0.scope == "grid/ndrc-e4-ccf/2026/02614001" })
        #expect(granted.events.contains { $0.event.id == written.id })   // history older than the cursor
        let lastControl = granted.controls.map(\.id).max()!
        // An acknowledgement from another epoch (before a restore, control ids start again) deletes nothing.
        #expect(!(try f.store.pull(device: newcomer, after: granted.cursor, limit: 10_000, ack: lastControl, ackEpoch: "0123456789abcdef").controls.isEmpty))
        #expect(try f.store.pull(device: newcomer, after: granted.cursor, limit: 10_000, ack: lastControl, ackEpoch: f.store.epoch).controls.isEmpty)
        let revoked = try f.store.pull(device: teacher, after: 0, limit: 10_000, ack: nil)
        #expect(revoked.controls.contains { $0.type == "revoke" && $0.scope == "grid/ndrc-e4-ccf/2026/02614001" })
        // An offline edit by the teacher who left lands in quarantine.
        let late = f.event("level/prospection.2", "I", by: "ev-0101", device: teacher.id)
        let answer = try f.store.push(PushRequest(events: [late]), from: teacher)
        #expect(answer.rejected.first?.quarantined == true)
        #expect(try f.store.quarantine().contains { $0.event.id == late.id })
    }
}

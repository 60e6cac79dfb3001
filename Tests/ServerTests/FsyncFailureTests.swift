import Foundation
import Testing
import TestSupport
@testable import Server
@testable import Shared

/// The server's store on a VFS whose fsync fails on demand (`FaultyVFS`): a push whose commit cannot be
/// made durable is refused as a whole, acknowledges nothing and leaves nothing behind; once fsync works
/// again the same events are accepted and everything acknowledged before is still there.
@Suite(.serialized) struct FsyncFailureTests {
    @Test func aPushWhoseFsyncFailsIsRefusedWithA503AndNothingIsAcknowledgedOrKept() throws {
        FaultyVFS.register()
        defer { FaultyVFS.failSync = false }
        let f = try ServerFixture()
        defer { f.tmp.remove() }
        let (_, token) = try f.device("ev-0101")
        // The server as `serve` wires it, on the faulty VFS.
        let store = try ServerStore(path: f.store.path, clock: f.clock, vfs: FaultyVFS.name)
        let router = ServerRoutes.router(core: ServerCore(store: store))
        func push(_ events: [Event]) -> HTTPResponse {
            router.handle(HTTPRequest(method: "POST", target: "/v1/sync/push", path: "/v1/sync/push",
                                      headers: [("Authorization", "Bearer \(token)")],
                                      body: Array(PushRequest(events: events).json.canonicalString.utf8)))
        }
        func count(_ events: [Event]) throws -> Int64 {
            // Through the fixture's own connection, on the default VFS: what is really in the file.
            try f.store.db.query("SELECT count(*) FROM events WHERE id IN (\(events.map { _ in "?" }.joined(separator: ",")))",
                                 values: events.map { .text($0.id) }).first?[0].int64 ?? -1
        }

        let first = [f.event("level/prospection.1", "S", by: "ev-0101", device: "dev-ev-0101")]
        let ok = push(first)
        #expect(ok.status == 200)
        #expect(try JSONValue.parse(ok.body)["accepted"]?.arrayValue?.count == 1)
        let syncedBefore = FaultyVFS.passedSyncs
        #expect(syncedBefore > 0, "the commit went through the faulty VFS's xSync")

        FaultyVFS.failSync = true
        let failuresBefore = FaultyVFS.injectedSyncFailures
        let refused = [f.event("level/prospection.2", "TS", by: "ev-0101", device: "dev-ev-0101"),
                       f.event("comment/prospection.2", "écrit pendant la panne", by: "ev-0101", device: "dev-ev-0101")]
        let headBefore = try f.store.head()
        for attempt in 1...3 {
            let answer = push(refused)
            #expect(answer.status == 503, "attempt \(attempt): \(answer.status)")
            let body = try JSONValue.parse(answer.body)
            #expect(body["error"]?["code"]?.stringValue == "storage")
            #expect(body["error"]?["message"]?.stringValue?.contains("rien de cette demande n'a été enregistré") == true)
            #expect(body["accepted"] == nil && body["duplicates"] == nil)
        }
        #expect(FaultyVFS.injectedSyncFailures > failuresBefore)
        #expect(try count(refused) == 0)
        #expect(try f.store.head() == headBefore)
        // Reads still work while fsync fails.
        let pull = router.handle(HTTPRequest(method: "GET", target: "/v1/sync/pull", path: "/v1/sync/pull", query: ["after": "0"],
                                             headers: [("Authorization", "Bearer \(token)")]))
        #expect(pull.status == 200)

        FaultyVFS.failSync = false
        let again = push(refused)
        #expect(again.status == 200)
        let answer = try JSONValue.parse(again.body)
        #expect(answer["accepted"]?.arrayValue?.count == 2, "accepted now, not duplicates: the refused push left nothing")
        #expect(answer["duplicates"]?.arrayValue?.isEmpty == true)
        #expect(try count(first + refused) == 3)
        #expect(try f.store.db.integrityCheck().isEmpty)
        // The materialised state holds what was acknowledged.
        let levels = try f.store.db.query("SELECT field FROM state WHERE entity = ? ORDER BY field", "grid/ndrc-e4-ccf/2026/02614001/final").map { $0.string(0) }
        #expect(levels.contains("level/prospection.1") && levels.contains("level/prospection.2") && levels.contains("comment/prospection.2"), "\(levels)")
    }
}

import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import Shared

@Suite struct LocalStoreSyncTests {
    @Test func schemaTwoBackfillsTheScopeOfEventsWrittenUnderSchemaOne() throws {
        let tmp = TemporaryDirectory("schema2")
        defer { tmp.remove() }
        let path = tmp.path + "/" + LocalStore.fileName
        do {
            let db = try Database(path: path)
            try db.migrate(application: LocalStore.application, migrations: Array(LocalStore.migrations.prefix(1)))
            for (index, entity) in [SyncFixtures.grid, "conformity/2026/02614001/ndrc-e4-ccf", "registration/02614001/C1", "weird"].enumerated() {
                let event = SyncFixtures.remote("e\(index)", entity: entity, wall: 1_000 + Int64(index))
                try db.run("""
                    INSERT INTO events (id, entity, field, body, wall, counter, device, author, applied, origin, sync_state, recorded_at)
                    VALUES (?, ?, ?, ?, ?, 0, ?, ?, 1, 'remote', 'remote', 0)
                    """, event.id, event.entity, event.field, event.json.canonicalString, event.hlc.wall, event.device, event.author)
            }
            // A successor stored before its predecessor: schema 3 records the reference.
            let successor = Event(id: "e9", entity: SyncFixtures.grid, field: "note", value: .int(12),
                                  hlc: HybridLogicalClock(wall: 2_000, counter: 0, device: "dev-x"), author: "ev", prev: ["e0", "not-yet"])
            try db.run("""
                INSERT INTO events (id, entity, field, body, wall, counter, device, author, applied, origin, sync_state, recorded_at)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?, 1, 'remote', 'remote', 0)
                """, successor.id, successor.entity, successor.field, successor.canonicalString, successor.hlc.wall, successor.device, successor.author)
        }
        let store = try LocalStore(directory: tmp.path)
        #expect(try store.db.schemaVersion() == 3)
        #expect(try store.db.query("SELECT ref, event FROM dangling_prev").map { [$0.string(0), $0.string(1)] } == [["not-yet", "e9"]])
        try store.db.run("DELETE FROM events WHERE id = 'e9'")
        let scopes = try store.db.query("SELECT id, scope FROM events ORDER BY id").map { [$0.string(0), $0.string(1)] }
        #expect(scopes == [["e0", "grid/ndrc-e4-ccf/2026/02614001"], ["e1", "grid/ndrc-e4-ccf/2026/02614001"],
                           ["e2", "commission/C1"], ["e3", ""]])
        #expect(try store.db.query("SELECT name FROM sqlite_master WHERE name = 'events_by_scope' OR name = 'notices'").count == 2)
        let written = try store.append([.init(entity: SyncFixtures.otherGrid, field: "note", value: .int(3))], author: "ev")
        #expect(try store.db.scalarString("SELECT scope FROM events WHERE id = ?", written[0].id) == "grid/ndrc-e4-ccf/2026/02614002")
    }

    @Test func stampsUseTheClockOffsetMeasuredAgainstTheServer() throws {
        let tmp = TemporaryDirectory("offset")
        defer { tmp.remove() }
        let clock = ManualClock(1_763_824_800_000)
        let store = try LocalStore(directory: tmp.path, clock: clock)
        try store.setSetting(LocalStore.SyncKey.clockOffset, String(-90_000))
        let event = try store.append([.init(entity: SyncFixtures.grid, field: "note", value: .int(3))], author: "ev")[0]
        #expect(event.hlc.wall == clock.nowMilliseconds() - 90_000)
        try store.setSetting(LocalStore.SyncKey.clockOffset, String(-600_000))
        let next = try store.append([.init(entity: SyncFixtures.grid, field: "note", value: .int(4))], author: "ev")[0]
        #expect(next.hlc > event.hlc, "a larger correction never makes a stamp go back")
    }

    @Test(arguments: [
        ("https://grille.ac-demo.fr", "https://grille.ac-demo.fr"),
        ("https://grille.ac-demo.fr:8443/grille/", "https://grille.ac-demo.fr:8443/grille"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9/", "http://localhost:9"),
    ])
    func serverAddressesAreNormalised(input: String, expected: String) throws {
        #expect(try ServerAddress.normalize(input) == expected)
    }

    @Test(arguments: ["", "grille.ac-demo.fr", "ftp://grille.test", "http://grille.ac-demo.fr", "https://", "https://a b.fr",
                      "https://grille.test/?x=1", "https://grille.test/#top", "https://u@grille.test"])
    func badServerAddressesAreRefused(input: String) {
        #expect(throws: AgentError.self) { try ServerAddress.normalize(input) }
    }
}

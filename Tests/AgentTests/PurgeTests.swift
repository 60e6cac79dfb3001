import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import Shared

/// The agent's side of a session purge: unpushed events saved to a file first, the user told where, and
/// no byte of the session left in the database file, its WAL or a journal.
@Suite struct PurgeTests {
    /// Every file of the database in `directory`: main file, WAL, shared memory, rollback journal.
    static func databaseFiles(_ directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(LocalStore.fileName) }.map { directory + "/" + $0 }
    }

    /// True when `text` occurs in any of `files`, byte for byte.
    static func occurs(_ text: String, in files: [String]) -> Bool {
        let needle = Data(text.utf8)
        return files.contains { path in
            guard let data = FileManager.default.contents(atPath: path) else { return false }
            return data.range(of: needle) != nil
        }
    }

    @Test func theConnectionOverwritesDeletedContent() throws {
        let tmp = TemporaryDirectory("secure-delete")
        defer { tmp.remove() }
        let store = try LocalStore(directory: tmp.path)
        #expect(try store.db.scalarInt("PRAGMA secure_delete") == 1)
    }

    @Test func aPurgeSavesUnpushedEventsThenLeavesNoByteOfTheSessionInTheDatabaseFiles() throws {
        let tmp = TemporaryDirectory("purge")
        defer { tmp.remove() }
        let server = FakeServer()
        let bench = SyncBench(tmp, clock: server.clock, transport: ScriptedTransport(server: server))
        try bench.enrollDirectly()
        let store = try bench.store()
        let purged = "grid/ndrc-e4-ccf/2026/02614001/final"
        let kept = "grid/ndrc-e4-ccf/2025/02614001/final"
        let remoteText = "Commentaire-du-jury-Moreau-7Q2X"
        let acceptedText = "Appreciation-acceptee-Moreau-4K8W"
        let unsentText = "Saisie-jamais-envoyee-Moreau-9D3F"
        let keptText = "Session-precedente-conservee-1B5T"
        server.seed([SyncFixtures.remote("r1", entity: purged, field: "comment/prospection.1", value: .string(remoteText), wall: 1_000)])
        // Enough rows for several pages, so that freed pages and WAL frames would keep copies without the cleanup.
        for index in 0..<40 {
            try store.append([.init(entity: purged, field: "comment/information.\(index)", value: .string("\(acceptedText)-\(index)"))], author: "ev-0101")
        }
        try store.append([.init(entity: kept, field: "appreciation/A", value: .string(keptText))], author: "ev-0101")
        _ = try bench.engine(store).sync()
        try store.addNotice(kind: "control", message: "Accès retiré par le serveur : « grid/ndrc-e4-ccf/2026/02614001 » (1 saisie(s) supprimée(s) de cet ordinateur).")
        let unsent = try store.append([.init(entity: purged, field: "appreciation/B", value: .string(unsentText))], author: "ev-0101")[0]
        let files = Self.databaseFiles(bench.data)
        for text in [remoteText, acceptedText, unsentText, keptText] {
            #expect(Self.occurs(text, in: files), "the test needs « \(text) » on disk before the purge")
        }

        // The unsent event is refused for another reason (it stays here, listed as refused), then the
        // server's purge control arrives.
        server.locked {
            server.reject = { event in
                Partition.session(of: event.entity) == "2026"
                    ? PushRejection(id: event.id, code: "not_member", message: "Vous ne siégez plus dans cette commission.", quarantined: true) : nil
            }
            server.controls = [SyncControl(id: 1, type: "purge", scope: "session/2026")]
        }
        let summary = try bench.engine(store).sync()

        // The unpushed event went to a private JSON-lines file first, and the notice names it.
        let notice = try #require(summary.notices.first { $0.contains("Session purgée") })
        let saved = try #require(SyncCLITests.files(bench.data, prefix: "saisies-non-envoyees-session-2026").first)
        let path = bench.data + "/" + saved
        #expect(notice.contains("1 saisie(s) jamais acceptée(s) par le serveur ont d'abord été enregistrée(s) dans « \(path) »"))
        let lines = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(try Event(bytes: Array(lines[0].utf8)) == unsent)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(try store.recentNotices().contains { $0.message == notice })

        // Nothing of 2026 is left in the log or the state; 2025 stays.
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE entity LIKE 'grid/%/2026/%'") == 0)
        #expect(try store.db.scalarInt("SELECT count(*) FROM state WHERE entity LIKE 'grid/%/2026/%'") == 0)
        #expect(try store.setting(LocalStore.SyncKey.compactionPending) == nil)

        // Not a byte of it in the database file, its WAL, shared memory or journal, with the store still open…
        for text in [remoteText, acceptedText, unsentText, "grid/ndrc-e4-ccf/2026/02614001"] {
            #expect(!Self.occurs(text, in: Self.databaseFiles(bench.data)), "« \(text) » survived the purge on disk")
        }
        #expect(Self.occurs(keptText, in: Self.databaseFiles(bench.data)), "another session's data stays")
        let wal = bench.data + "/" + LocalStore.fileName + "-wal"
        if FileManager.default.fileExists(atPath: wal) {
            #expect(try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int ?? -1 < 64 * 1024)
        }
        #expect(try store.db.integrityCheck().isEmpty)
        // … and after a reopen.
        let reopened = try bench.store()
        #expect(try reopened.db.scalarInt("SELECT count(*) FROM events WHERE entity = ?", kept) == 1)
        for text in [remoteText, acceptedText, unsentText] {
            #expect(!Self.occurs(text, in: Self.databaseFiles(bench.data)))
        }
    }

    /// A laptop that missed the purge pushes a write for the session: the server answers « session
    /// purgée »; the write goes to a file (never lost), leaves the database, and the session refuses
    /// every later write.
    @Test func aPushRefusedAsSessionPurgedGoesToAFileAndTheSessionRefusesLaterWrites() throws {
        let tmp = TemporaryDirectory("purge-refused")
        defer { tmp.remove() }
        let server = FakeServer()
        let bench = SyncBench(tmp, clock: server.clock, transport: ScriptedTransport(server: server))
        try bench.enrollDirectly()
        let store = try bench.store()
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        let late = "Saisie-apres-la-purge-Moreau-3V7N"
        let written = try store.append([.init(entity: grid, field: "appreciation/A", value: .string(late))], author: "ev-0101")[0]
        server.locked {
            server.reject = { event in
                PushRejection(id: event.id, code: "session_purged", message: "Session 2026 purgée : cette saisie n'est pas conservée.")
            }
        }
        _ = try bench.engine(store).sync()

        let saved = try #require(SyncCLITests.files(bench.data, prefix: "saisies-refusees-session-purgee").first)
        let path = bench.data + "/" + saved
        let lines = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(try Event(bytes: Array(lines[0].utf8)) == written)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(try store.recentNotices().contains { $0.message.contains(path) && $0.message.contains("session purgée") })
        #expect(try store.db.scalarInt("SELECT count(*) FROM events WHERE id = ?", written.id) == 0)
        #expect(try store.pendingCount() == 0)
        #expect(!Self.occurs(late, in: Self.databaseFiles(bench.data)), "the refused write left no byte in the database files")
        #expect(try store.isPurged(session: "2026"))

        // Every later write to the session is refused with a French message.
        let roster = try Roster.load(directory: URL(fileURLWithPath: Repository.demoRoster), templateIDs: Set(try AgentCLI.catalog().ids))
        try store.replaceRoster(roster, source: "server")
        let agent = AgentHarness(tmp, name: "agent")
        let conformity = try agent.run("conformity", "set", "02614001", "ok", "--template", "ndrc-e4-ccf", "--session", "2026")
        #expect(conformity.status == 1 && conformity.stderr.contains("a été purgée"), "\(conformity.stderr)")
        let created = try agent.run("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--session", "2026", "--situation", "final")
        #expect(created.status == 1 && created.stderr.contains("a été purgée"), "\(created.stderr)")
    }

    @Test func aRevokedScopeLeavesNoByteOnDiskEither() throws {
        let tmp = TemporaryDirectory("revoke-bytes")
        defer { tmp.remove() }
        let server = FakeServer()
        let bench = SyncBench(tmp, clock: server.clock, transport: ScriptedTransport(server: server))
        try bench.enrollDirectly()
        let store = try bench.store()
        let secret = "Commentaire-commission-retiree-6H1Z"
        server.seed((0..<30).map { SyncFixtures.remote("r\($0)", field: "comment/information.\($0)", value: .string("\(secret)-\($0)"), wall: 1_000 + Int64($0)) })
        _ = try bench.engine(store).sync()
        #expect(Self.occurs(secret, in: Self.databaseFiles(bench.data)))
        server.locked { server.controls = [SyncControl(id: 1, type: "revoke", scope: "grid/ndrc-e4-ccf/2026/02614002")] }
        let summary = try bench.engine(store).sync()
        #expect(summary.notices.contains { $0.contains("Accès retiré") })
        #expect(!Self.occurs(secret, in: Self.databaseFiles(bench.data)))
        #expect(try store.setting(LocalStore.SyncKey.compactionPending) == nil)
    }

    @Test func aCompactionThatFindsTheFileBusyIsRetriedAtTheNextSync() throws {
        let tmp = TemporaryDirectory("purge-busy")
        defer { tmp.remove() }
        let store = try LocalStore(directory: tmp.path)
        try store.append([.init(entity: "grid/ndrc-e4-ccf/2026/02614001/final", field: "note", value: .int(20))], author: "ev-0101")
        try store.setSetting(LocalStore.SyncKey.compactionPending, "1")
        // Another connection (another Grille process) in the middle of a read keeps the WAL alive.
        let other = try Database(path: tmp.path + "/" + LocalStore.fileName)
        try other.execute("BEGIN")
        _ = try other.scalarInt("SELECT count(*) FROM events")
        #expect(try store.compactIfPending() == false)
        #expect(try store.setting(LocalStore.SyncKey.compactionPending) == "1")
        try other.execute("COMMIT")
        #expect(try store.compactIfPending() == true)
        #expect(try store.setting(LocalStore.SyncKey.compactionPending) == nil)
    }
}

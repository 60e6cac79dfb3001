import Foundation
import Testing
import TestSupport
@testable import Shared

/// Databases written by the first released schemas open with the current binaries: migrations run,
/// nothing is lost or changed.
@Suite struct UpgradeTests {
    static let fixtures = Repository.root() + "/Tests/Fixtures/release-c9d30cf"
    static let grid = "grid/ndrc-e4-ccf/2026/02614001/final"

    @Test func theFirstServerSchemaUpgradesWithEveryEventAndTheSameState() throws {
        let tmp = TemporaryDirectory("upgrade")
        defer { tmp.remove() }
        let db = tmp.sub("server.sqlite")
        try FileManager.default.copyItem(atPath: Self.fixtures + "/server.sqlite", toPath: db)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/server.sqlite.key", toPath: db + ".key")
        #expect(try Database(path: db).schemaVersion() == 1)
        let hash = try TestProcess.run("grille-server", ["--db", db, "hash", "--prefix", Self.grid])
        #expect(hash.status == 0, "\(hash.stderr)")
        #expect(hash.stdout.trimmingWhitespace() == "595c98116bf81a369706ea438c093bac0520a018ea3918cdbfe051627ed50e32")
        let verify = try JSONValue.parse(try TestProcess.run("grille-server", ["--db", db, "verify", "--json"]).stdout)
        #expect(verify["ok"]?.boolValue == true)
        #expect(verify["events"]?.intValue == 244)
        #expect((verify["schema"]?.intValue ?? 0) > 1)
        // The upgraded server still works: a new enrollment code, a backup.
        #expect(try TestProcess.run("grille-server", ["--db", db, "enroll", "ev-0102", "--by", "ev-0112"]).status == 0)
        #expect(try TestProcess.run("grille-server", ["--db", db, "backup", tmp.sub("b.sqlite")]).status == 0)
    }

    @Test func theFirstReleasedAgentDatabaseOpensWithItsGrid() throws {
        let tmp = TemporaryDirectory("upgrade-agent")
        defer { tmp.remove() }
        let data = tmp.sub("agent")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/agent/agent.sqlite", toPath: data + "/agent.sqlite")
        let show = try TestProcess.run("grille-agent", ["--data", data, "grid", "show", Self.grid, "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        let view = try JSONValue.parse(show.stdout)
        #expect(view["levels"]?["prospection.1"]?.stringValue == "S")
        #expect(view["comments"]?["prospection.1"]?.stringValue == "Écrit avec le schéma 1")
        #expect(view["option"]?.stringValue == "evenement")
        let hash = try TestProcess.run("grille-agent", ["--data", data, "hash", "--prefix", Self.grid])
        #expect(hash.stdout.trimmingWhitespace() == "595c98116bf81a369706ea438c093bac0520a018ea3918cdbfe051627ed50e32")
        #expect(try Database(path: data + "/agent.sqlite").integrityCheck().isEmpty)
    }
}

import Foundation
import Testing
import TestSupport
@testable import Shared

@Suite(.serialized) struct BackupRestoreTests {
    static let grid = "grid/ndrc-e4-ccf/2026/02614005/final"

    @Test func restoreFromAnOlderBackupIsRebuiltFromTheLaptopsAndKeepsLaterRevocationsAndEnrollments() throws {
        let tmp = TemporaryDirectory("restore")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        let teacher = AgentNode(tmp, "ev-0101"), pro = AgentNode(tmp, "ev-0102")
        try teacher.enroll(server)
        try pro.enroll(server)
        try teacher.ok("grid", "new", "--candidate", "02614005", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        _ = try teacher.sync()
        // Backup under write load: the teacher keeps writing and syncing while it runs.
        let writer = try TestProcess("/bin/bash", ["-c", """
            for i in $(seq 1 15); do "\(TestProcess.binary("grille-agent"))" --data "\(teacher.data)" grid comment \(Self.grid) prospection.1 "pendant $i" && "\(TestProcess.binary("grille-agent"))" --data "\(teacher.data)" sync >/dev/null || exit 1; done
            """])
        usleep(150_000)
        let backup = try server.cli(["backup", tmp.sub("backup.sqlite")])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(writer.wait(timeout: 120).status == 0)
        let verify = try JSONValue.parse(server.cli(["verify", tmp.sub("backup.sqlite"), "--json"]).stdout)
        #expect(verify["ok"]?.boolValue == true)
        // After the backup: more work, a new laptop, a revocation.
        try teacher.ok("grid", "set", Self.grid, "prospection.2", "TS")
        _ = try teacher.sync()
        _ = try pro.sync()
        try pro.ok("grid", "set", Self.grid, "information.1", "S")
        _ = try pro.sync()
        _ = try teacher.sync()   // a laptop holds every accepted event: the restore can rebuild from it
        let newcomer = AgentNode(tmp, "ev-0103")
        try newcomer.enroll(server)
        let proDevice = try pro.json("status")["device"]?.stringValue ?? ""
        #expect(try server.cli(["revoke", proDevice, "--by", ServerHarness.coordinator]).status == 0)
        let before = try server.hash(prefix: Self.grid)
        // Restore: refused while serving, then done with the server stopped.
        #expect(try server.cli(["restore", tmp.sub("backup.sqlite"), "--yes"]).status == 1)
        server.stop()
        #expect(try server.cli(["restore", tmp.sub("backup.sqlite")]).status == 2)   // needs --yes
        let restored = try server.cli(["restore", tmp.sub("backup.sqlite"), "--yes"])
        #expect(restored.status == 0, "\(restored.stderr)")
        try server.start()
        // The teacher sees the new epoch and pushes back what the server lost; the pro's events come back
        // through the teacher (with their receipts) although the pro's laptop is revoked.
        let summary = try teacher.sync()
        #expect(summary["epoch_changed"]?.boolValue == true, "\(summary)")
        #expect((summary["repushed"]?.intValue ?? 0) > 0)
        _ = try teacher.sync()
        #expect(try server.hash(prefix: Self.grid) == before)
        #expect(try teacher.hash(prefix: Self.grid) == before)
        // The revocation made after the backup is still in force; the enrollment made after it too.
        let revoked = try pro.run(["sync"])
        #expect((revoked.stdout + revoked.stderr).contains("révoqué"))
        #expect(try newcomer.run(["sync"]).status == 0)
        #expect(try JSONValue.parse(server.cli(["verify", "--json"]).stdout)["ok"]?.boolValue == true)
        server.stop()
    }

    @Test func aPurgeMadeAfterTheBackupSurvivesTheRestore() throws {
        let tmp = TemporaryDirectory("restore-purge")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        let teacher = AgentNode(tmp, "ev-0101")
        try teacher.enroll(server)
        try teacher.ok("grid", "new", "--candidate", "02614005", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        try teacher.ok("grid", "comment", Self.grid, "prospection.1", "Secret-Avant-Sauvegarde")
        _ = try teacher.sync()
        #expect(try server.cli(["backup", tmp.sub("b.sqlite")]).status == 0)
        #expect(try server.cli(["purge", "--session", "2026", "--by", "ev-0112", "--yes", "--force"]).status == 0)
        server.stop()
        #expect(try server.cli(["restore", tmp.sub("b.sqlite"), "--yes"]).status == 0)
        let show = try JSONValue.parse(server.cli(["session", "show", "2026", "--json"]).stdout)
        #expect(show["purged"]?.boolValue == true)
        for file in [server.db, server.db + "-wal"] {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            #expect(data.range(of: Data("Secret-Avant-Sauvegarde".utf8)) == nil, "left in \(file)")
        }
        try server.start()
        _ = try? teacher.run(["sync"])
        #expect(try Database(path: server.db).scalarInt("SELECT count(*) FROM events WHERE entity LIKE 'grid/%'") == 0)
        server.stop()
    }

    @Test func badBackupAndRestoreInputsAreRefused() throws {
        let tmp = TemporaryDirectory("restore-bad")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: tmp.sub("junk.sqlite")))
        let cases: [([String], Int32)] = [
            (["backup"], 2),
            (["backup", server.db], 1),                        // exists already
            (["verify", tmp.sub("missing.sqlite")], 1),
            (["verify", tmp.sub("junk.sqlite")], 3),
            (["restore", tmp.sub("junk.sqlite"), "--yes"], 3),
            (["restore", tmp.sub("missing.sqlite"), "--yes"], 1),
        ]
        for (args, status) in cases {
            let result = try server.cli(args)
            #expect(result.status == status, "\(args): \(result.status) \(result.stderr)")
            #expect(!result.stderr.isEmpty)
        }
        #expect(try JSONValue.parse(server.cli(["verify", "--json"]).stdout)["ok"]?.boolValue == true)
    }
}

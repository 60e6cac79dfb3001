import Foundation
import Testing
import TestSupport
@testable import Shared

/// A full disk, made with a file size limit (RLIMIT_FSIZE): past it a write fails with EFBIG (both
/// binaries ignore SIGXFSZ), which SQLite reports as SQLITE_FULL or SQLITE_IOERR_WRITE, exactly where a
/// full disk (ENOSPC) fails. Reads below the limit still work.
@Suite(.serialized) struct DiskFullTests {
    /// Sets the running process's file size limit (`prlimit`, util-linux); `nil` lifts it.
    static func limitFileSize(pid: Int32, bytes: Int?) throws {
        let value = bytes.map(String.init) ?? "unlimited"
        let result = try TestProcess.run("/usr/bin/prlimit", ["--pid", String(pid), "--fsize=\(value):unlimited"])
        guard result.status == 0 else { throw TransportFailure("prlimit failed: \(result.stderr)") }
    }

    @Test func aServerWithAFullDiskRefusesPushesWith507ThenAcceptsThemOnceThereIsRoomAgain() throws {
        let tmp = TemporaryDirectory("diskfull-server")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let teacher = AgentNode(tmp, "ev-0101")
        try teacher.enroll(server)
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        try teacher.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        try teacher.ok("grid", "set", grid, "prospection.1", "S")
        _ = try teacher.sync()
        let acknowledged = try server.eventIDs()
        #expect(try teacher.json("status")["pending"]?.intValue == 0)

        // The disk fills up: no file of the server may grow past 4 KiB (every one already has).
        let pid = try #require(server.pid)
        try Self.limitFileSize(pid: pid, bytes: 4096)
        let events = (1...3).map { n in
            Event(id: SecureRandom.uuid(), entity: grid, field: "comment/prospection.\(n)", value: .string("pendant la panne \(n)"),
                  hlc: HybridLogicalClock(wall: Int64(Date().timeIntervalSince1970 * 1000), counter: Int64(n), device: "dev-raw"),
                  author: "ev-0101", prev: [])
        }
        let body = PushRequest(events: events).json.canonicalString
        for attempt in 1...2 {
            let answer = try server.raw("POST", "/v1/sync/push", token: teacher.token, body: body)
            #expect(answer.status == 507, "attempt \(attempt): \(answer.status) \(answer.bodyText)")
            let json = try JSONValue.parse(answer.body)
            #expect(json["error"]?["code"]?.stringValue == "storage_full")
            #expect(json["error"]?["message"]?.stringValue?.hasPrefix("Le disque du serveur est plein : rien de cette demande n'a été enregistré.") == true)
            #expect(json["accepted"] == nil)
        }
        // An agent's sync fails, keeps its work and says why.
        try teacher.ok("grid", "set", grid, "prospection.2", "TS")
        let failed = try teacher.run(["sync"])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("507") && failed.stderr.contains("Vos saisies restent sur cet ordinateur"), "\(failed.stderr)")
        #expect(try teacher.json("status")["pending"]?.intValue == 1)
        // Nothing acknowledged before is lost, nothing refused is there.
        let during = try server.eventIDs()
        #expect(during == acknowledged)
        #expect(try Database(path: server.db).integrityCheck().isEmpty)
        // The server still answers what does not write: health, and a pull (the device's visit was
        // recorded less than 30 s ago, so the pull writes nothing).
        #expect(try server.raw("GET", "/v1/health", token: teacher.token).status == 200)
        let pulled = try server.raw("GET", "/v1/sync/pull?after=0&limit=10", token: teacher.token)
        #expect(pulled.status == 200)
        #expect((try JSONValue.parse(pulled.body))["events"]?.arrayValue?.isEmpty == false)

        // Room again: the same push is accepted (not duplicates: the refused one left nothing).
        try Self.limitFileSize(pid: pid, bytes: nil)
        let answer = try JSONValue.parse(try server.raw("POST", "/v1/sync/push", token: teacher.token, body: body).body)
        #expect(answer["accepted"]?.arrayValue?.count == 3, "\(answer)")
        let summary = try teacher.sync()
        #expect(summary["accepted"]?.intValue == 1, "\(summary)")
        _ = try teacher.sync()
        let after = try server.eventIDs()
        #expect(acknowledged.isSubset(of: after))
        #expect(Set(events.map(\.id)).isSubset(of: after))
        #expect(try teacher.hash(prefix: grid) == (try server.hash(prefix: grid)))
        #expect(try server.log.contains("storage failure"))
    }

    @Test func anAgentWriteOnAFullDiskIsRefusedInFrenchAndTheLocalDatabaseIsIntact() throws {
        let tmp = TemporaryDirectory("diskfull-agent")
        defer { tmp.remove() }
        let agent = AgentNode(tmp, "ev-0101")
        try agent.ok("roster", "import", Repository.demoRoster)
        try agent.ok("whoami", "--as", "ev-0101")
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        // Another program holds the database open (as `serve` does beside the CLI), so the WAL and its
        // index stay on disk between commands and a write has to grow the WAL.
        let path = agent.data + "/agent.sqlite"
        let holder = try Database(path: path)
        #expect(try holder.integrityCheck().isEmpty)
        try agent.ok("grid", "set", grid, "prospection.1", "S")
        let before = try holder.query("SELECT id, body FROM events ORDER BY seqno").map { [$0.string(0), $0.string(1)] }
        let stateBefore = try agent.hash(prefix: grid)

        // No file may grow past 1 KiB: every write of the command fails.
        let bin = TestProcess.binary("grille-agent")
        func limited(_ arguments: [String]) throws -> TestProcess.Result {
            try TestProcess.run("/bin/bash", ["-c", "ulimit -f 1 && exec \"$0\" \"$@\"", bin, "--data", agent.data] + arguments)
        }
        for arguments in [["grid", "set", grid, "prospection.2", "TS"], ["grid", "comment", grid, "prospection.1", "écrit sur un disque plein"]] {
            let refused = try limited(arguments)
            #expect(refused.status == 1, "\(arguments): \(refused.status) \(refused.stderr)")
            #expect(!refused.signalled)
            #expect(refused.stderr.hasPrefix("Disque plein : rien n'a été enregistré"), "\(refused.stderr)")
            #expect(refused.stderr.contains("la saisie demandée n'a pas été enregistrée"))
        }
        // Reading still works on the full disk.
        let shown = try limited(["grid", "show", grid, "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")

        // The local database is exactly as it was and sound.
        #expect(try holder.integrityCheck().isEmpty)
        let after = try holder.query("SELECT id, body FROM events ORDER BY seqno").map { [$0.string(0), $0.string(1)] }
        #expect(after == before)
        #expect(try agent.hash(prefix: grid) == stateBefore)
        #expect(try agent.json("rebuild")["identical"]?.boolValue == true)
        // Room again: the same write goes through.
        try agent.ok("grid", "set", grid, "prospection.2", "TS")
        #expect(try agent.final("02614001")["levels"]?["prospection.2"]?.stringValue == "TS")
    }
}

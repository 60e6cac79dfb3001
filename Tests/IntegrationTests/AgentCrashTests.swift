import Foundation
import Testing
import TestSupport
@testable import Shared

@Suite(.serialized) struct AgentCrashTests {
    /// `grille-agent sync` killed with SIGKILL again and again while the server keeps running: the
    /// agent's file stays sound, every event it holds as accepted is on the server, and after a final
    /// sync every event it ever wrote is on the server exactly once, with equal state hashes.
    @Test func anAgentKilledMidSyncOverAndOverLosesAndDuplicatesNothing() throws {
        let tmp = TemporaryDirectory("agentkill")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let teacher = AgentNode(tmp, "ev-0101"), pro = AgentNode(tmp, "ev-0102")
        try teacher.enroll(server)
        try pro.enroll(server)
        let grid = "grid/ndrc-e4-ccf/2026/02614005/final"
        try teacher.ok("grid", "new", "--candidate", "02614005", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        // How long one sync with a few events takes here, to aim the kills inside it.
        for n in 1...4 { try teacher.ok("grid", "comment", grid, "prospection.\(n)", "mesure \(n)") }
        let started = Date()
        _ = try teacher.sync()
        let syncSeconds = max(0.05, Date().timeIntervalSince(started))
        _ = try pro.sync()

        var rng = SeededGenerator(seed: UInt64(Date().timeIntervalSince1970))
        var written: [String] = []
        var kills = 0, round = 0
        while kills < 12 && round < 60 {
            round += 1
            for n in 1...4 {
                let text = "tour \(round), remarque \(n)"
                let result = try teacher.run(["grid", "comment", grid, "prospection.\(n % 4 + 1)", text])
                #expect(result.status == 0, "\(result.stderr)")
                if result.status == 0 { written.append(text) }
            }
            if round % 3 == 0 { try pro.ok("grid", "comment", grid, "information.1", "le professionnel, tour \(round)") }
            let child = try teacher.start(["sync"])
            let pullAlongside = try pro.start(["sync"])
            usleep(UInt32(Double.random(in: 0...(1.2 * syncSeconds), using: &rng) * 1_000_000))
            if child.isRunning {
                child.signal(SIGKILL)
                if child.wait(timeout: 30).signalled { kills += 1 }
            } else {
                _ = child.wait(timeout: 30)
            }
            _ = pullAlongside.wait(timeout: 120)
            let local = try Database(path: teacher.data + "/agent.sqlite")
            #expect(try local.integrityCheck().isEmpty, "round \(round)")
            let held = try server.eventIDs()
            let accepted = try teacher.json("log").arrayValue?.filter { $0["sync_state"]?.stringValue == "accepted" }.compactMap { $0["id"]?.stringValue } ?? []
            let lost = accepted.filter { !held.contains($0) }
            #expect(lost.isEmpty, "round \(round): \(lost.count) event(s) held as accepted are not on the server")
        }
        #expect(kills >= 10, "only \(kills) kills in \(round) rounds landed in a running sync")

        for _ in 0..<2 { for node in [teacher, pro] { _ = try node.sync() } }
        #expect(try teacher.json("status")["pending"]?.intValue == 0)
        // Every event of the laptop's log is on the server exactly once, and nothing else of this grid.
        let localIDs = try teacher.json("log").arrayValue?.filter { $0["entity"]?.stringValue == grid && $0["author"]?.stringValue == "ev-0101" }
            .compactMap { $0["id"]?.stringValue } ?? []
        let rows = try Database(path: server.db).query("SELECT id, body FROM events WHERE entity = ? AND author = 'ev-0101'", grid)
        #expect(rows.count == localIDs.count)
        #expect(Set(rows.map { $0.string(0) }) == Set(localIDs))
        var onServer: [String: Int] = [:]
        for row in rows {
            if let text = try Event(bytes: Array(row.string(1).utf8)).value.stringValue { onServer[text, default: 0] += 1 }
        }
        for text in written { #expect(onServer[text] == 1, "« \(text) » is on the server \(onServer[text] ?? 0) time(s)") }
        for node in [teacher, pro] { #expect(try node.hash(prefix: grid) == (try server.hash(prefix: grid))) }
        #expect(try Database(path: server.db).integrityCheck().isEmpty)
    }
}

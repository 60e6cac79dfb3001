import Foundation
import Testing
import TestSupport
@testable import Shared

@Suite(.serialized) struct ProcessFaultTests {
    /// The CLI and `serve` may write to one data directory at once: stamps stay unique and increasing in
    /// commit order.
    @Test func twoProcessesWritingToOneDataDirectoryNeverIssueEqualOrDecreasingStamps() throws {
        let tmp = TemporaryDirectory("twoproc")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0101")
        try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        let bin = TestProcess.binary("grille-agent")
        func loop(_ criterion: String) throws -> TestProcess {
            try TestProcess("/bin/bash", ["-c", """
                for i in $(seq 1 25); do "\(bin)" --data "\(agent.data)" grid comment 02614001/final \(criterion) "note $i" || exit 1; done
                """])
        }
        let one = try loop("prospection.1")
        let two = try loop("prospection.2")
        let r1 = one.wait(timeout: 120), r2 = two.wait(timeout: 120)
        #expect(r1.status == 0, "\(r1.stderr)")
        #expect(r2.status == 0, "\(r2.stderr)")
        let db = try Database(path: agent.data + "/agent.sqlite")
        let rows = try db.query("SELECT wall, counter, device FROM events ORDER BY seqno")
        let stamps = rows.map { HybridLogicalClock(wall: $0.int64(0), counter: $0.int64(1), device: $0.string(2)) }
        #expect(stamps.count == 52)
        for (a, b) in zip(stamps, stamps.dropFirst()) { #expect(a < b) }
        #expect(try db.integrityCheck().isEmpty)
    }

    /// A writer killed with SIGKILL at random points: every reopen passes `integrity_check` and every
    /// write reported done is present.
    @Test func writesReportedDoneSurviveSigkillAtRandomPoints() throws {
        let tmp = TemporaryDirectory("kill")
        defer { tmp.remove() }
        let agent = AgentHarness(tmp)
        try agent.setUp(as: "ev-0101")
        try agent.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        var rng = SeededGenerator(seed: UInt64(Date().timeIntervalSince1970))
        // Kill delays up to twice the time one write takes on this machine now, so that some writes finish
        // and others are cut, however loaded the machine is.
        let timed = Date()
        try agent.ok("grid", "comment", "02614001/final", "prospection.1", "écrit 0")
        let span = UInt32(min(2_000_000, max(80_000, 2 * Date().timeIntervalSince(timed) * 1_000_000)))
        var done: [String] = ["écrit 0"]
        var kills = 0
        var attempt = 0
        while kills < 25 && attempt < 400 {
            attempt += 1
            let text = "écrit \(attempt)"
            let useImport = attempt % 5 == 0
            let args = useImport ? ["--data", agent.data, "roster", "import", Repository.demoRoster]
                                 : ["--data", agent.data, "grid", "comment", "02614001/final", "prospection.\(attempt % 4 + 1)", text]
            let child = try TestProcess("grille-agent", args)
            usleep(UInt32.random(in: 0...span, using: &rng))
            let wasRunning = child.isRunning
            child.signal(SIGKILL)
            let result = child.wait(timeout: 30)
            if result.signalled && wasRunning { kills += 1 }
            if result.status == 0 && !result.signalled && !useImport { done.append(text) }
            // Reopen: the file is sound and nothing acknowledged is lost.
            let db = try Database(path: agent.data + "/agent.sqlite")
            #expect(try db.integrityCheck().isEmpty, "attempt \(attempt)")
            let comments = Set(try db.query("SELECT body FROM events WHERE field LIKE 'comment/%'").compactMap {
                try Event(bytes: Array($0.string(0).utf8)).value.stringValue
            })
            for text in done { #expect(comments.contains(text), "lost: \(text)") }
            #expect(try db.scalarInt("SELECT count(*) FROM roster_candidates") == 30)
        }
        #expect(kills >= 20, "only \(kills) kills landed on a running writer")
        #expect(done.count > 1, "no write finished between kills")
        // The agent still works and the state equals a rebuild.
        #expect(try agent.json("rebuild")["identical"]?.boolValue == true)
    }
}

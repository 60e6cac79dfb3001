import Foundation
import Testing
import TestSupport
@testable import Shared

@Suite(.serialized) struct ServerCrashTests {
    /// The server is killed with SIGKILL during a stream of pushes: after every restart each event an
    /// agent holds as acknowledged is on the server, the file passes integrity_check, and at the end the
    /// agents converge.
    @Test func everyAcknowledgedEventSurvivesServerSigkills() throws {
        let tmp = TemporaryDirectory("srvkill")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let teacher = AgentNode(tmp, "ev-0101"), pro = AgentNode(tmp, "ev-0102")
        try teacher.enroll(server)
        try pro.enroll(server)
        try teacher.ok("grid", "new", "--candidate", "02614004", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        _ = try teacher.sync()
        _ = try pro.sync()
        let grid = "grid/ndrc-e4-ccf/2026/02614004/final"
        var rng = SeededGenerator(seed: UInt64(Date().timeIntervalSince1970))
        var kills = 0
        var acknowledged = 0
        for round in 0..<12 {
            for (node, criterion) in [(teacher, "prospection"), (pro, "information")] {
                for n in 1...4 {
                    try node.ok("grid", "comment", grid, "\(criterion).\(n % 2 + 1)", "tour \(round), remarque \(n) de \(node.evaluator)")
                }
            }
            let syncs = [try teacher.start(["sync"]), try pro.start(["sync"])]
            usleep(UInt32.random(in: 0...120_000, using: &rng))
            server.kill()
            kills += 1
            #expect(try Database(path: server.db).integrityCheck().isEmpty, "round \(round)")
            try server.start()   // the agents' retries reach the restarted server
            for child in syncs { _ = child.wait(timeout: 120) }
            // Acknowledged = accepted by the server according to the agent.
            let held = try server.eventIDs()
            for node in [teacher, pro] {
                let accepted = try node.json("log").arrayValue?.filter { $0["sync_state"]?.stringValue == "accepted" }.compactMap { $0["id"]?.stringValue } ?? []
                acknowledged = max(acknowledged, accepted.count)
                let lost = accepted.filter { !held.contains($0) }
                #expect(lost.isEmpty, "round \(round): \(node.evaluator) lost \(lost.count) acknowledged event(s)")
            }
        }
        #expect(kills >= 10)
        // Converge: sync until nothing is pending.
        for _ in 0..<3 { for node in [teacher, pro] { _ = try node.sync() } }
        for node in [teacher, pro] {
            #expect(try node.json("status")["pending"]?.intValue == 0)
            #expect(try node.hash(prefix: grid) == (try server.hash(prefix: grid)))
        }
        #expect(acknowledged > 40)
    }
}

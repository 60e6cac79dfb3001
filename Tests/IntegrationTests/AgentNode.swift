import Foundation
import Testing
import TestSupport
@testable import Shared

/// One evaluator's laptop: a real `grille-agent` with its own data directory, optionally under a
/// shifted clock (faketime).
struct AgentNode {
    let data: String
    let evaluator: String
    var clockShift: String?

    init(_ tmp: TemporaryDirectory, _ evaluator: String, clockShift: String? = nil) {
        data = tmp.sub("agent-\(evaluator)")
        self.evaluator = evaluator
        self.clockShift = clockShift
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> TestProcess.Result {
        if let clockShift {
            return try TestProcess.run("/usr/bin/faketime", ["-f", clockShift, TestProcess.binary("grille-agent"), "--data", data] + arguments, timeout: 120)
        }
        return try TestProcess.run("grille-agent", ["--data", data] + arguments, timeout: 120)
    }

    func start(_ arguments: [String]) throws -> TestProcess {
        try TestProcess("grille-agent", ["--data", data] + arguments)
    }

    @discardableResult
    func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(arguments)
        #expect(result.status == 0, "\(evaluator): grille-agent \(arguments.joined(separator: " ")) → \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    func json(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        let result = try run(arguments + ["--json"])
        #expect(result.status == 0, "\(evaluator): \(arguments) → \(result.stderr)", sourceLocation: sourceLocation)
        return (try? JSONValue.parse(result.stdout)) ?? .null
    }

    /// Enrolls with a fresh code from the server, then syncs once.
    func enroll(_ server: ServerHarness, url: String? = nil) throws {
        let code = try server.cli(["enroll", evaluator, "--by", ServerHarness.coordinator]).stdout.trimmingWhitespace()
        try ok("enroll", "--server", url ?? server.url, "--code", code)
        try ok("sync")
    }

    func sync(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
        try json("sync", sourceLocation: sourceLocation)
    }

    func hash(prefix: String) throws -> String {
        try json("hash", "--prefix", prefix)["hash"]?.stringValue ?? "?"
    }

    var token: String {
        (try? String(contentsOfFile: data + "/token", encoding: .utf8))?.trimmingWhitespace() ?? ""
    }

    /// `grid show --json` of a candidate's final E4 grid.
    func final(_ candidate: String) throws -> JSONValue {
        try json("grid", "show", "grid/ndrc-e4-ccf/2026/\(candidate)/final")
    }
}

extension ServerHarness {
    func hash(prefix: String) throws -> String {
        ((try? JSONValue.parse(cli(["hash", "--prefix", prefix, "--json"]).stdout))?["hash"]?.stringValue) ?? "?"
    }

    /// Every event id the server holds.
    func eventIDs() throws -> Set<String> {
        let db = try Database(path: db, options: { var o = Database.Options(); o.readOnly = true; return o }())
        return Set(try db.query("SELECT id FROM events").map { $0.string(0) })
    }

    /// A raw authenticated request, to look at exactly what crosses the wire.
    func raw(_ method: String, _ target: String, token: String, body: String = "") throws -> RawResponse {
        let client = try RawHTTPClient(port: port, timeout: 30)
        try client.send("\(method) \(target) HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(token)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return try client.readResponse()
    }
}

/// A copy of the demo roster with some commissions' members changed.
func rosterCopy(_ tmp: TemporaryDirectory, name: String, members: [String: String]) throws -> String {
    let directory = tmp.sub(name)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    for file in ["establishments", "evaluators", "commissions", "candidates", "registrations"] {
        var text = try String(contentsOfFile: Repository.demoRoster + "/\(file).csv", encoding: .utf8)
        if file == "commissions" {
            text = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                guard fields.count == 5, let replacement = members[String(fields[0])] else { return String(line) }
                return fields.prefix(4).joined(separator: ",") + "," + replacement
            }.joined(separator: "\n")
        }
        try text.write(toFile: directory + "/\(file).csv", atomically: true, encoding: .utf8)
    }
    return directory
}

import Foundation
import Testing
import TestSupport
@testable import Shared

/// Runs the real `grille-agent` binary against one data directory.
struct AgentHarness {
    let data: String

    init(_ directory: TemporaryDirectory, name: String = "agent") {
        data = directory.sub(name)
    }

    @discardableResult
    func run(_ arguments: String..., environment: [String: String] = [:]) throws -> TestProcess.Result {
        try TestProcess.run("grille-agent", ["--data", data] + arguments, environment: environment)
    }

    func run(_ arguments: [String]) throws -> TestProcess.Result {
        try TestProcess.run("grille-agent", ["--data", data] + arguments)
    }

    /// Runs and requires success; returns stdout.
    @discardableResult
    func ok(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try TestProcess.run("grille-agent", ["--data", data] + arguments)
        #expect(result.status == 0, "grille-agent \(arguments.joined(separator: " ")) → \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    func json(_ arguments: String...) throws -> JSONValue {
        let result = try TestProcess.run("grille-agent", ["--data", data] + arguments + ["--json"])
        guard result.status == 0 else {
            Issue.record("grille-agent \(arguments) failed: \(result.stderr)")
            return .null
        }
        return try JSONValue.parse(result.stdout)
    }

    /// Number of events in the log.
    func eventCount() throws -> Int {
        try json("log").arrayValue?.count ?? -1
    }

    /// Imports the demo roster and takes an identity.
    func setUp(as evaluator: String) throws {
        try ok("roster", "import", Repository.demoRoster)
        try ok("whoami", "--as", evaluator)
    }
}

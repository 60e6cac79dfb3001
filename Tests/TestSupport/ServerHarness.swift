import Foundation

/// A real `grille-server` process on 127.0.0.1: initialised with the demo roster, started on port 0
/// (then restarted on the same port), killed or stopped by the test.
public final class ServerHarness: @unchecked Sendable {
    // @unchecked: used from one test at a time; `process` is only touched by that test's thread.
    public let db: String
    public private(set) var port = 0
    private var process: TestProcess?
    public static let coordinator = "ev-0112"

    public init(_ tmp: TemporaryDirectory, name: String = "server", maxSkew: String? = nil) throws {
        db = tmp.sub("\(name).sqlite")
        self.maxSkew = maxSkew
        try check(cli(["init", "--academy", "Académie de démonstration"]))
        try check(cli(["roster", "import", Repository.demoRoster, "--by", ServerHarness.coordinator]))
    }

    private let maxSkew: String?

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Runs an administration command on this server's database.
    @discardableResult
    public func cli(_ arguments: [String]) throws -> TestProcess.Result {
        try TestProcess.run("grille-server", ["--db", db] + arguments)
    }

    private func check(_ result: TestProcess.Result) throws {
        guard result.status == 0 else { throw TransportFailure("grille-server failed: \(result.stderr)") }
    }

    /// Starts `serve` and waits until it listens (on a new port the first time, the same port after).
    public func start() throws {
        var args = ["--db", db, "serve", "--listen", "127.0.0.1:\(port)"]
        if let maxSkew { args += ["--max-skew", maxSkew] }
        let child = try TestProcess("grille-server", args)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let range = child.currentStdout.range(of: "http://127.0.0.1:") {
                let digits = child.currentStdout[range.upperBound...].prefix { $0.isNumber }
                if let bound = Int(digits) {
                    port = bound
                    process = child
                    return
                }
            }
            if !child.isRunning { break }
            usleep(10_000)
        }
        let result = child.wait(timeout: 1)
        throw TransportFailure("grille-server did not start: \(result.stderr)")
    }

    /// The running `serve` process's id, `nil` when stopped.
    public var pid: Int32? { process?.pid }

    /// SIGKILL: no cleanup at all.
    public func kill() {
        process?.signal(SIGKILL)
        _ = process?.wait(timeout: 10)
        process = nil
    }

    /// SIGTERM and wait: the graceful stop.
    @discardableResult
    public func stop() -> TestProcess.Result? {
        process?.signal(SIGTERM)
        let result = process?.wait(timeout: 30)
        process = nil
        return result
    }

    /// What the running server logged so far (one line per request).
    public var log: String { process?.currentStderr ?? "" }

    deinit { process?.signal(SIGKILL) }
}

public struct TransportFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

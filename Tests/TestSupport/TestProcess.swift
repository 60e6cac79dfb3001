import Foundation

/// Runs the project's real binaries from tests: drains stdout and stderr while the child runs (a full
/// pipe would block it), waits with a deadline, and kills what it started.
public final class TestProcess: @unchecked Sendable {
    // @unchecked: the mutable buffers are only touched under `lock`.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// True when the child was ended by a signal (SIGKILL from a test, a crash).
        public let signalled: Bool
    }

    /// Folder holding the built products (`grille-agent`, `grille-server`): the test bundle's folder.
    public static let binDirectory: URL = {
        if let explicit = ProcessInfo.processInfo.environment["GRILLE_BIN_DIR"] {
            return URL(fileURLWithPath: explicit)
        }
        var url = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        url.deleteLastPathComponent()
        // On Linux the runner is `<bin>/GrillePackageTests.xctest`; on Darwin, inside the bundle.
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("grille-agent").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url
    }()

    public static func binary(_ name: String) -> String {
        binDirectory.appendingPathComponent(name).path
    }

    private let process = Process()
    private let outPipe = Pipe()
    private let errPipe = Pipe()
    private let lock = NSLock()
    private var outData = Data()
    private var errData = Data()
    private let outDone = DispatchSemaphore(value: 0)
    private let errDone = DispatchSemaphore(value: 0)

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : TestProcess.binary(executable))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "GRILLE_HOME")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = outPipe
        process.standardError = errPipe
        let input = Pipe()
        process.standardInput = input
        drain(outPipe.fileHandleForReading, isStdout: true, done: outDone)
        drain(errPipe.fileHandleForReading, isStdout: false, done: errDone)
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try? input.fileHandleForWriting.close()
    }

    private func drain(_ handle: FileHandle, isStdout: Bool, done: DispatchSemaphore) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.lock()
                if isStdout { outData.append(chunk) } else { errData.append(chunk) }
                lock.unlock()
            }
            done.signal()
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// What the child has printed so far.
    public var currentStdout: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: outData, as: UTF8.self)
    }

    public var currentStderr: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: errData, as: UTF8.self)
    }

    public func signal(_ sig: Int32) {
        if process.isRunning { kill(process.processIdentifier, sig) }
    }

    /// Waits for the child to exit; kills it after `timeout` seconds.
    @discardableResult
    public func wait(timeout: TimeInterval = 60) -> Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        outDone.wait()
        errDone.wait()
        lock.lock(); defer { lock.unlock() }
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self),
                      signalled: process.terminationReason == .uncaughtSignal)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs a command to completion.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           timeout: TimeInterval = 60) throws -> Result {
        try TestProcess(executable, arguments, environment: environment).wait(timeout: timeout)
    }
}

/// A fresh temporary folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "grille") {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    public func sub(_ name: String) -> String { path + "/" + name }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// The repository root (for fixtures such as demo/roster) and the shared folder beside it.
public enum Repository {
    public static func root(file: String = #filePath) -> String {
        var url = URL(fileURLWithPath: file)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }

    public static var demoRoster: String { root() + "/demo/roster" }
}

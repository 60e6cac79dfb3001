import Dispatch
import Foundation
import Shared

extension AgentCLI {
    /// `serve [--port P] [--interval SECONDS] [--no-open]`: the evaluator's web interface on 127.0.0.1 (port 0,
    /// the default, lets the system choose) and, once this computer is enrolled, a sync every N seconds, one
    /// line per sync, until SIGINT or SIGTERM. It prints the interface's URL, which carries a per-launch
    /// secret, and opens it with `xdg-open` when there is a graphical session (never with `--no-open`).
    /// A sync in progress finishes (or its retry wait is cut short) before it stops.
    func serve() throws {
        try arguments.allowOnly(["data", "interval", "port", "no-open"], command: "serve")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent serve [--port PORT] [--interval SECONDES] [--no-open]")
        var interval = 60
        if let text = arguments[option: "interval"] {
            guard let value = Int(text), (1...86_400).contains(value) else {
                throw AgentError.user("Intervalle invalide « \(text) » : donnez un nombre entier de secondes entre 1 et 86400.")
            }
            interval = value
        }
        var port = 0
        if let text = arguments[option: "port"] {
            guard let value = Int(text), (0...65_535).contains(value) else {
                throw AgentError.user("Port invalide « \(text) » : donnez un nombre entre 1 et 65535 (0 laisse le système choisir).")
            }
            port = value
        }
        // Opening the store first gives the usual French refusals (folder not writable, damaged file).
        _ = try openStore()

        let ui = LocalUI(options: .init(dataDirectory: dataDirectory, clock: clock, environment: environment,
                                        services: services, interval: interval, sink: sink))
        var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: port, handlerTimeout: 90)
        configuration.limits.maxBodyBytes = LocalUI.maxBodyBytes + 64 * 1024
        configuration.maxConnections = 64
        let server = HTTPServer(configuration: configuration, handler: { ui.handle($0) }, log: { entry in
            // Only failures: the target of a request may hold the secret and is never logged.
            if entry.status >= 500 { Console.error("grille-agent serve : \(entry.method) \(entry.path) → \(entry.status)") }
        })
        let bound: Int
        do {
            bound = try server.start()
        } catch {
            throw AgentError.user("Impossible d'ouvrir l'interface sur le port \(port) de 127.0.0.1 (\(error)) : choisissez un autre port (--port) ou laissez le système choisir (--port 0).")
        }
        ui.bind(port: bound)
        say("Interface de saisie : \(ui.launchURL)")
        say("Port \(bound), sur cet ordinateur seulement (127.0.0.1). Cette adresse change à chaque lancement ; Ctrl-C pour arrêter.")
        if !arguments.has("no-open") { AgentCLI.openInBrowser(ui.launchURL, environment: environment) }

        let stop = StopSignals.install()
        stop.onRequest { ui.sync.stop() }
        ui.sync.run()
        server.stop(timeout: 5)
        say("Arrêt demandé : synchronisation arrêtée.")
    }

    /// Opens `url` with `xdg-open` when a graphical session is there (`DISPLAY` or `WAYLAND_DISPLAY`) and the
    /// program exists; never waits for it and never fails: the URL is printed anyway.
    static func openInBrowser(_ url: String, environment: [String: String]) {
        let graphical = !(environment["DISPLAY"] ?? "").isEmpty || !(environment["WAYLAND_DISPLAY"] ?? "").isEmpty
        guard graphical else { return }
        let path = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/xdg-open" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [url]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }
}

/// SIGINT and SIGTERM turned into a stop request that waits can observe (through `DispatchSource`, so
/// nothing runs in signal context).
final class StopSignals: @unchecked Sendable {
    // @unchecked: `requested` and `handlers` are only read and written under `lock`; `sources` is set once
    // in `install`.
    private let lock = NSLock()
    private var requested = false
    private var handlers: [@Sendable () -> Void] = []
    private let wakeUp = DispatchSemaphore(value: 0)
    private var sources: [any DispatchSourceSignal] = []

    static func install() -> StopSignals {
        let stop = StopSignals()
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.request() }
            source.resume()
            stop.sources.append(source)
        }
        return stop
    }

    /// Runs `handler` on the stop request (at once when it already came).
    func onRequest(_ handler: @escaping @Sendable () -> Void) {
        lock.lock()
        let already = requested
        if !already { handlers.append(handler) }
        lock.unlock()
        if already { handler() }
    }

    func request() {
        lock.lock()
        requested = true
        let toRun = handlers
        handlers = []
        lock.unlock()
        wakeUp.signal()
        toRun.forEach { $0() }
    }

    var isRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return requested
    }

    /// Waits up to `seconds`; true when a stop was requested (at once or during the wait).
    func wait(seconds: Double) -> Bool {
        if isRequested { return true }
        _ = wakeUp.wait(timeout: .now() + seconds)
        return isRequested
    }
}

import Dispatch
import Foundation
import Shared

extension ServerCLI {
    /// `grille-server serve`: answers the agents until SIGTERM or SIGINT, then finishes in-flight
    /// requests, checkpoints the WAL and exits.
    func serve() throws {
        try arguments.allowOnly(["db", "listen", "max-skew", "trust-proxy"], command: "serve")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-server serve [--db CHEMIN] [--listen 127.0.0.1:8080] [--max-skew 5m] [--trust-proxy]")
        let listen = arguments[option: "listen"] ?? "127.0.0.1:8080"
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port) else {
            throw UsageError("Adresse d'écoute invalide « \(listen) » (par exemple 127.0.0.1:8080).")
        }
        let host = String(listen[..<colon])
        let lock = try ServerLock(databasePath: databasePath)
        guard lock.acquire() else {
            throw ServerError.user("Un autre grille-server sert déjà \(databasePath).")
        }
        let store = try openStore()
        if let skew = arguments[option: "max-skew"] {
            store.maxSkewMilliseconds = try ServerCLI.parseDuration(skew, option: "--max-skew")
        }
        let core = ServerCore(store: store)
        let router = ServerRoutes.router(core: core)
        var configuration = HTTPServer.Configuration()
        configuration.host = host
        configuration.port = port
        configuration.trustProxy = arguments.has("trust-proxy")
        let server = HTTPServer(configuration: configuration, handler: { router.handle($0) }, log: { entry in
            Console.error(entry.description)
        })
        let bound = try server.start()
        Console.out("grille-server \(Grille.version) — académie « \(store.academy) » — à l'écoute sur http://\(host):\(bound)")
        let done = DispatchSemaphore(value: 0)
        HTTPServer.installTerminationHandler {
            server.stop(timeout: 10)
            try? core.run { try $0.db.checkpoint() }
            Console.error("grille-server arrêté proprement.")
            done.signal()
        }
        done.wait()
        withExtendedLifetime(lock) {}
    }
}

import Foundation
import TestSupport
@testable import Server
@testable import Shared

/// The academy server of a simulated run: a real `ServerStore` on a file, owned by a `ServerCore` and
/// answered by the real router, exactly as `grille-server serve` wires them, minus the sockets. It can
/// crash (the files stay as a `kill -9` leaves them), restart, be backed up and be restored.
final class SimServer {
    static let academy = "Académie de simulation"
    static let timezone = "Europe/Paris"

    let path: String
    let clock: ManualClock
    private var core: ServerCore?
    private var router: Router?

    var isUp: Bool { router != nil }

    /// Creates the academy database (`grille-server init`), then serves it.
    init(directory: String, clock: ManualClock) throws {
        path = directory + "/server.sqlite"
        self.clock = clock
        let store = try ServerStore.initialise(path: path, academy: SimServer.academy, timezone: SimServer.timezone, clock: clock)
        serve(store)
    }

    private func serve(_ store: ServerStore) {
        let core = ServerCore(store: store)
        self.core = core
        router = ServerRoutes.router(core: core)
    }

    /// One HTTP exchange through the real routes.
    func handle(_ request: HTTPRequest) -> TransportResponse {
        guard let router else { return TransportResponse(status: 503, body: []) }
        let response = router.handle(request)
        return TransportResponse(status: response.status, body: response.body)
    }

    /// Runs an administration command on the store (`grille-server roster import`, `revoke`, …) on the
    /// store's queue, as a request would.
    func admin<T>(_ body: (ServerStore) throws -> T) throws -> T {
        guard let core else { throw ServerError.user("serveur arrêté") }
        return try core.run(body)
    }

    /// `kill -9`: the connection is dropped and the files are left as they were on disk.
    func crash() {
        guard isUp else { return }
        let image = DiskImage.capture(database: path)
        stop()
        image.putBack()
    }

    /// Drops the store (closing its connection).
    func stop() {
        router = nil
        core = nil
    }

    func start() throws {
        guard !isUp else { return }
        serve(try ServerStore(path: path, clock: clock))
    }

    /// `grille-server backup FILE`: SQLite's online backup of the live database.
    func backup(to file: String) throws {
        try admin { try $0.backup(to: file) }
    }

    /// `grille-server restore FILE --yes`: the server stops, the backup replaces the live database under a
    /// new epoch, and the journal beside the live database replays the enrollments, used codes,
    /// revocations and purges made after the backup. Without `replayJournal` the journal is removed
    /// first, as if it had been lost with the disk: the checks then show what it protects.
    /// Returns how many journal entries were replayed.
    func restore(from file: String, replayJournal: Bool) throws -> Int {
        stop()
        if !replayJournal { unlink(path + ".journal") }
        let (replayed, _) = try ServerStore.restore(path: path, from: file, clock: clock)
        try start()
        return replayed
    }
}

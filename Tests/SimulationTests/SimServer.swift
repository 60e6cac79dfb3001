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

    /// A backup the way an operator takes one today: checkpoint the WAL into the file
    /// (`PRAGMA wal_checkpoint(TRUNCATE)`), then copy the file and its (now empty) WAL.
    func backup(to file: String) throws {
        try admin { store in
            let row = try store.db.queryOne("PRAGMA wal_checkpoint(TRUNCATE)")
            guard row?.int(0) == 0 else { throw ServerError.user("checkpoint incomplet") }
            for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: path + suffix) {
                try? FileManager.default.removeItem(atPath: file + suffix)
                try FileManager.default.copyItem(atPath: path + suffix, toPath: file + suffix)
            }
        }
    }

    /// Emulates the planned `grille-server restore`: the server stops, the backup's file and WAL replace
    /// the live ones, the server starts and gets a new epoch (`setMeta("epoch", …)`) so that agents push
    /// back what it lacks.
    func restore(from file: String, epoch: String) throws {
        stop()
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: file + suffix) {
            try FileManager.default.copyItem(atPath: file + suffix, toPath: path + suffix)
        }
        try start()
        try admin { try $0.setMeta("epoch", epoch) }
    }
}

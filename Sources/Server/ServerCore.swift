import Dispatch
import Shared

/// Owns the server's `ServerStore` on one serial queue, so the SQLite connection never crosses threads
/// while HTTP connection threads call in.
final class ServerCore: @unchecked Sendable {
    // @unchecked: `store` is only read or written inside `queue.sync`, a serial queue.
    private let queue = DispatchQueue(label: "grille.server.store")
    private let store: ServerStore

    init(store: ServerStore) {
        self.store = store
    }

    /// Runs `body` on the store's queue. A storage failure (disk full, failed write or fsync) becomes the
    /// client's 507 or 503 answer saying nothing was recorded; the SQLite error itself goes to the log.
    func run<T>(_ body: (ServerStore) throws -> T) throws -> T {
        try queue.sync {
            do {
                try store.refreshIfChangedElsewhere()
                return try body(store)
            } catch let error as DatabaseError {
                guard let answer = ServerStore.describeForClient(error, path: store.path) else { throw error }
                Console.error("storage failure: \(error)")
                throw answer
            }
        }
    }
}

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

    func run<T>(_ body: (ServerStore) throws -> T) throws -> T {
        try queue.sync {
            try store.refreshIfChangedElsewhere()
            return try body(store)
        }
    }
}

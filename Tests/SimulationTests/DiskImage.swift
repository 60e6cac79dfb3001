import Foundation

/// The bytes a SQLite database has on disk at one moment: the main file and its WAL. Putting them back
/// after the connection was closed is what a `kill -9` at that moment leaves behind: committed
/// transactions sit in the WAL and the next open recovers them; nothing uncommitted exists in between
/// two steps of the simulation, so nothing else is lost.
struct DiskImage {
    let path: String
    private let files: [(path: String, bytes: Data?)]

    static func capture(database path: String) -> DiskImage {
        DiskImage(path: path, files: [path, path + "-wal"].map { ($0, FileManager.default.contents(atPath: $0)) })
    }

    /// Writes the captured files back (removing those that did not exist) and drops the shared-memory
    /// index, which SQLite rebuilds from the WAL on the next open.
    func putBack() {
        for (file, bytes) in files {
            unlink(file)
            if let bytes { _ = FileManager.default.createFile(atPath: file, contents: bytes) }
        }
        unlink(path + "-shm")
    }
}

/// Byte search in the raw files of a database, for the purge check.
enum RawFiles {
    /// The database files that exist among `path`, `-wal`, `-shm` and the rollback `-journal`.
    static func databaseFiles(_ path: String) -> [String] {
        [path, path + "-wal", path + "-shm", path + "-journal"].filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// The files among `paths` whose bytes contain `needle`.
    static func containing(_ needle: String, in paths: [String]) -> [String] {
        let pattern = Data(needle.utf8)
        return paths.filter { path in
            guard let data = FileManager.default.contents(atPath: path) else { return false }
            return data.range(of: pattern) != nil
        }
    }
}

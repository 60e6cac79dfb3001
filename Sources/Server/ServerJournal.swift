import Foundation
import Shared

/// An append-only file beside the database (`<db>.journal`) recording what must survive a restore from
/// an older backup: device enrollments (token hashes only), used enrollment codes, revocations and
/// session purges. Each line is canonical JSON, written and fsynced before the change is acknowledged;
/// `grille-server restore` replays them all, idempotently.
struct ServerJournal {
    let path: String

    init(databasePath: String) {
        path = databasePath + ".journal"
    }

    func append(_ entry: JSONValue) throws {
        let line = entry.canonicalString + "\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ServerError(503, "storage", "Impossible d'écrire le journal « \(path) » : rien n'a été enregistré.")
        }
        defer { close(fd) }
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ServerError(503, "storage", "Écriture du journal « \(path) » impossible (disque plein ?) : rien n'a été enregistré.")
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            throw ServerError(503, "storage", "Le journal « \(path) » n'a pas pu être mis sur disque : rien n'a été enregistré.")
        }
    }

    func entries() throws -> [JSONValue] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return try data.split(separator: 0x0A).map { line in
            do { return try JSONValue.parse(Array(line)) } catch {
                throw ServerError.user("Journal « \(path) » illisible (ligne mal formée) : \(error)")
            }
        }
    }
}

import Foundation
import Shared

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files of the data directory beside the database: the device token (mode 0600), the event files
/// written before a wipe or a reset, and the wipe itself.
extension LocalStore {
    static let tokenFileName = "token"

    static func tokenPath(_ directory: String) -> String { directory + "/" + tokenFileName }

    /// The device token, or nil when this computer is not enrolled.
    static func readToken(directory: String) throws -> String? {
        let path = tokenPath(directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AgentError.user("Le jeton d'accès « \(path) » est illisible : vérifiez ses droits, ou inscrivez de nouveau cet ordinateur (grille-agent enroll).")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Writes the token with mode 0600 (a temporary file renamed over the old one).
    static func writeToken(_ token: String, directory: String) throws {
        let path = tokenPath(directory)
        try writePrivateFile(Array((token + "\n").utf8), to: path)
    }

    /// Creates `path` with mode 0600 through a temporary file and a rename, so a reader never sees half of it.
    static func writePrivateFile(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw AgentError.user("Impossible d'écrire « \(path) » : vérifiez les droits du dossier et la place disponible.")
        }
        var offset = 0
        var failed = false
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                offset += n
            }
        }
        if fsync(fd) != 0 { failed = true }
        close(fd)
        guard !failed, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw AgentError.user("Impossible d'écrire « \(path) » : vérifiez les droits du dossier et la place disponible.")
        }
    }

    /// A file name in the data directory carrying today's date and time, e.g.
    /// `saisies-non-envoyees-2026-03-14-101502.jsonl`.
    func datedFileName(_ prefix: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Paris")
        formatter.dateFormat = "yyyy-MM-dd-HHmmss"
        let stamp = formatter.string(from: Date(timeIntervalSince1970: Double(clock.nowMilliseconds()) / 1000))
        var path = directory + "/\(prefix)-\(stamp).jsonl"
        var n = 2
        while FileManager.default.fileExists(atPath: path) {
            path = directory + "/\(prefix)-\(stamp)-\(n).jsonl"
            n += 1
        }
        return path
    }

    /// Writes events as JSON lines (one canonical wire event per line), mode 0600.
    static func writeEventLines(_ events: [Event], to path: String) throws {
        var bytes: [UInt8] = []
        for event in events {
            bytes.append(contentsOf: event.canonicalBytes)
            bytes.append(0x0A)
        }
        try writePrivateFile(bytes, to: path)
    }

    /// Removes the database (with its WAL and shared-memory files) and the token. The caller has saved
    /// whatever must survive and drops its `LocalStore` right after.
    static func deleteDataFiles(directory: String) {
        for name in [fileName, fileName + "-wal", fileName + "-shm", tokenFileName] {
            unlink(directory + "/" + name)
        }
    }
}

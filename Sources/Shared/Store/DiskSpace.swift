#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tells a full disk from other I/O failures after SQLite reported one. SQLite does not always say: a
/// write refused with ENOSPC or EFBIG (a file size limit) comes back as `SQLITE_FULL`, `SQLITE_IOERR_WRITE`
/// or even `SQLITE_IOERR_FSYNC`, and `sqlite3_system_errno` is often 0 by then. So the diagnosis tries to
/// write a small file beside the database, then deletes it.
public enum DiskSpace {
    /// True when `probeBytes` cannot be written beside `path` for lack of room (ENOSPC, EDQUOT, EFBIG).
    public static func isFull(nextTo path: String, probeBytes: Int = 64 * 1024) -> Bool {
        let probe = path + ".space-probe"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return errno == ENOSPC || errno == EDQUOT }
        defer {
            close(fd)
            unlink(probe)
        }
        let chunk = [UInt8](repeating: 0, count: 4096)
        var offset = 0
        while offset < probeBytes {
            let n = chunk.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno == ENOSPC || errno == EDQUOT || errno == EFBIG
            }
            if n == 0 { return true }
            offset += n
        }
        // Space allocated lazily (some file systems) only fails at fsync.
        if fsync(fd) != 0 { return errno == ENOSPC || errno == EDQUOT }
        return false
    }
}

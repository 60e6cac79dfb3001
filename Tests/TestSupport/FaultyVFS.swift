import CSQLite
import Foundation
import Synchronization

/// A SQLite VFS for tests that injects I/O faults: the default VFS (`sqlite3_vfs_find(nil)`, "unix" on
/// Linux) with its `xOpen` wrapped, so every file it opens gets a copy of its `io_methods` whose `xSync`
/// fails with `SQLITE_IOERR_FSYNC` while `FaultyVFS.failSync` is true. Everything else is the default
/// VFS's own code, on the same files: a database opened with it and one opened normally share locks.
///
/// Open a store on it with `Database.Options.vfs = FaultyVFS.name` after calling `FaultyVFS.register()`.
/// The switch is process-wide: tests using it must not run concurrently with each other.
///
/// Related SQLite documentation: https://www.sqlite.org/vfs.html, https://www.sqlite.org/c3ref/io_methods.html
public enum FaultyVFS {
    public static let name = "grille-faulty"

    /// While true, every `xSync` (fsync of the database, its WAL, its journal) fails.
    public static var failSync: Bool {
        get { syncFlag.load(ordering: .sequentiallyConsistent) }
        set { syncFlag.store(newValue, ordering: .sequentiallyConsistent) }
    }

    /// How many `xSync` calls failed on purpose since the process started.
    public static var injectedSyncFailures: Int { failures.load(ordering: .sequentiallyConsistent) }

    /// How many `xSync` calls went through (passed on to the default VFS).
    public static var passedSyncs: Int { passed.load(ordering: .sequentiallyConsistent) }

    /// Registers the VFS once (not as the default); later calls do nothing.
    public static func register() {
        precondition(registration == SQLITE_OK, "FaultyVFS: sqlite3_vfs_register failed (\(registration))")
    }

    /// `SQLITE_IOERR_FSYNC`, `(SQLITE_IOERR | (4<<8))`: Swift does not import that macro.
    static let ioerrFsync: Int32 = SQLITE_IOERR | (4 << 8)

    private static let syncFlag = Atomic<Bool>(false)
    private static let failures = Atomic<Int>(0)
    private static let passed = Atomic<Int>(0)

    /// Our `io_methods` copies by the address of the original they copy, and the original by the copy's
    /// address; both live as long as the process.
    private static let table = Mutex<(copies: [UInt: UInt], originals: [UInt: UInt])>(([:], [:]))

    private static let registration: Int32 = {
        guard let base = sqlite3_vfs_find(nil) else { return SQLITE_ERROR }
        baseVFS = base
        let vfs = UnsafeMutablePointer<sqlite3_vfs>.allocate(capacity: 1)
        vfs.initialize(to: base.pointee)
        vfs.pointee.zName = UnsafePointer(strdup(name))
        vfs.pointee.pNext = nil
        vfs.pointee.xOpen = { _, path, file, flags, outFlags in
            guard let base = FaultyVFS.baseVFS, let open = base.pointee.xOpen else { return SQLITE_ERROR }
            let rc = open(base, path, file, flags, outFlags)
            if let file, let original = file.pointee.pMethods {
                file.pointee.pMethods = FaultyVFS.wrapped(original)
            }
            return rc
        }
        return sqlite3_vfs_register(vfs, 0)
    }()

    /// Set once, before registration; read by `xOpen` afterwards (registration orders the two).
    nonisolated(unsafe) private static var baseVFS: UnsafeMutablePointer<sqlite3_vfs>?

    private static func wrapped(_ original: UnsafePointer<sqlite3_io_methods>) -> UnsafePointer<sqlite3_io_methods> {
        let key = UInt(bitPattern: original)
        return table.withLock { table in
            if let copy = table.copies[key] { return UnsafePointer(bitPattern: copy)! }
            let copy = UnsafeMutablePointer<sqlite3_io_methods>.allocate(capacity: 1)
            copy.initialize(to: original.pointee)
            copy.pointee.xSync = { file, flags in
                if FaultyVFS.failSync {
                    FaultyVFS.failures.add(1, ordering: .sequentiallyConsistent)
                    return FaultyVFS.ioerrFsync
                }
                guard let file, let methods = file.pointee.pMethods,
                      let sync = FaultyVFS.original(of: methods)?.pointee.xSync else { return FaultyVFS.ioerrFsync }
                FaultyVFS.passed.add(1, ordering: .sequentiallyConsistent)
                return sync(file, flags)
            }
            table.copies[key] = UInt(bitPattern: copy)
            table.originals[UInt(bitPattern: copy)] = key
            return UnsafePointer(copy)
        }
    }

    private static func original(of methods: UnsafePointer<sqlite3_io_methods>) -> UnsafePointer<sqlite3_io_methods>? {
        let key = UInt(bitPattern: methods)
        return table.withLock { $0.originals[key] }.flatMap { UnsafePointer(bitPattern: $0) }
    }
}

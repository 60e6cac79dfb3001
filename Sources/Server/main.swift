#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A file size limit (RLIMIT_FSIZE) must make a write fail (EFBIG, which SQLite reports as a full disk)
// rather than kill the process in the middle of a transaction.
signal(SIGXFSZ, SIG_IGN)

#if canImport(Glibc)
// One handler thread per connection: glibc would give each busy thread its own malloc arena (up to
// eight per processor), each keeping the pages it freed. Two arenas keep the server's peak memory
// near what it holds (docs/BENCHMARKS.md, B7).
// `mallopt` is not in Swift's Glibc module: found by name (M_ARENA_MAX is -8 in glibc's malloc.h).
if let mallopt = dlsym(nil, "mallopt") {
    _ = unsafeBitCast(mallopt, to: (@convention(c) (Int32, Int32) -> Int32).self)(-8, 2)
}
#endif

exit(ServerCLI.run(Array(CommandLine.arguments.dropFirst())))

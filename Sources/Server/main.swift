#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A file size limit (RLIMIT_FSIZE) must make a write fail (EFBIG, which SQLite reports as a full disk)
// rather than kill the process in the middle of a transaction.
signal(SIGXFSZ, SIG_IGN)

exit(ServerCLI.run(Array(CommandLine.arguments.dropFirst())))

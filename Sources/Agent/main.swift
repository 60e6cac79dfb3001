#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// A file size limit (RLIMIT_FSIZE) must make a write fail (EFBIG, which SQLite reports as a full disk)
// rather than kill the process in the middle of a transaction.
signal(SIGXFSZ, SIG_IGN)

let status = AgentCLI.run(Array(CommandLine.arguments.dropFirst()))

// Leave without running the atexit handlers. After an https exchange, FoundationNetworking tears its
// curl multi-handle down on its own queue while OpenSSL's atexit handler frees the TLS state under it:
// about one `grille-agent sync` in 500 died of SIGSEGV at exit on a loaded 2-core machine
// (swift-corelibs-foundation #5469). By now every transaction is committed and the database closed;
// only the C streams need flushing.
fflush(nil)
_exit(status)

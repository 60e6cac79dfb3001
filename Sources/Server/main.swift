#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(ServerCLI.run(Array(CommandLine.arguments.dropFirst())))

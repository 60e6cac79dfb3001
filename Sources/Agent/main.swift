#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(AgentCLI.run(Array(CommandLine.arguments.dropFirst())))

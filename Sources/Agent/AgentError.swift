import Shared

/// Exit codes of `grille-agent`: 0 ok, 1 user error, 2 usage error, 3 internal error.
enum ExitStatus: Int32 {
    case ok = 0
    case user = 1
    case usage = 2
    case internalError = 3
}

/// An error shown to the user, in French, with the exit code it leads to.
struct AgentError: Error, Sendable, CustomStringConvertible {
    let message: String
    let status: ExitStatus

    static func user(_ message: String) -> AgentError { AgentError(message: message, status: .user) }
    static func internalError(_ message: String) -> AgentError { AgentError(message: message, status: .internalError) }

    var description: String { message }
}

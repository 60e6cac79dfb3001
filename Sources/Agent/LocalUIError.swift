import Shared

/// Why the local UI refused a request: a status, a stable code and a French message that says what to do.
/// Pages show the message in an HTML page, `/api/…` answers `{"error":{"code","message"}}`.
struct LocalUIError: HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    let status: Int
    let code: String
    let message: String

    var description: String { "\(status) \(code): \(message)" }

    /// A malformed request (missing or unreadable field): 400.
    static func badRequest(_ message: String) -> LocalUIError {
        LocalUIError(status: 400, code: "bad_request", message: message)
    }

    /// A well-formed request that the rules refuse (the same refusal the CLI prints): 422.
    static func refused(_ message: String) -> LocalUIError {
        LocalUIError(status: 422, code: "refused", message: message)
    }

    static func notFound(_ message: String) -> LocalUIError {
        LocalUIError(status: 404, code: "not_found", message: message)
    }

    static func forbidden(_ code: String, _ message: String) -> LocalUIError {
        LocalUIError(status: 403, code: code, message: message)
    }

    /// The value shown in the page changed meanwhile (another jury member, a sync): 409.
    static func stale(_ message: String) -> LocalUIError {
        LocalUIError(status: 409, code: "stale", message: message)
    }

    static let noSession = forbidden("no_session", "Accès refusé : ouvrez l'adresse affichée par « grille-agent serve » dans le terminal (elle change à chaque lancement).")

    /// Maps what the CLI code throws onto an answer: user errors are 422 (nothing was written), usage
    /// errors 400, a busy database 503, anything else a 500 whose detail only goes to standard error.
    static func from(_ error: any Error, log: (String) -> Void = { Console.error($0) }) -> LocalUIError {
        switch error {
        case let error as LocalUIError:
            return error
        case let error as AgentError where error.status == .user:
            return .refused(error.message)
        case let error as UsageError:
            return .badRequest(error.message)
        case let error as SyncError:
            return .refused(error.message)
        case let error as GridRuleError:
            return .refused(error.message)
        case let error as DatabaseError:
            let mapped = LocalStore.describe(error, path: "la base locale")
            if error.isBusy { return LocalUIError(status: 503, code: "busy", message: mapped.message) }
            if mapped.status == .user { return .refused(mapped.message) }
            log("grille-agent serve : \(error)")
            return .internalError
        default:
            log("grille-agent serve : erreur interne : \(String(reflecting: error))")
            return .internalError
        }
    }

    static let internalError = LocalUIError(status: 500, code: "internal", message: "Erreur interne de Grille : rien n'a été enregistré. Réessayez ; si cela persiste, notez l'heure et prévenez l'assistance.")
}

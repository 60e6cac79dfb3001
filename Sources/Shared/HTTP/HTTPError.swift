/// An error that knows how it should be answered over HTTP. Routes throw these; `HTTPResponse(error:)` turns
/// them into the error document `{"error":{"code":…,"message":…}}` with their status.
public protocol HTTPResponseError: Error {
    /// The status code to answer, a 4xx or 5xx.
    var status: Int { get }
    /// A stable machine-readable code (`not_found`, `payload_too_large`, …) that clients switch on.
    var code: String { get }
    /// A sentence meant for the user, in French, saying what went wrong and what to do.
    var message: String { get }
}

/// The plain `HTTPResponseError`: what the parser and the router throw, and what routes can throw directly.
public struct HTTPError: HTTPResponseError, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let code: String
    public let message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "HTTP \(status) \(code): \(message)" }
}

extension HTTPResponse {
    /// The single place where thrown errors become responses: an `HTTPResponseError` answers its own status,
    /// code and message; anything else is a 500 `internal` with a generic message, and the error itself,
    /// which may hold details not meant for clients, goes to `log` only.
    public init(error: any Error, log: (String) -> Void = { Console.error($0) }) {
        if let mapped = error as? any HTTPResponseError {
            self = .error(status: mapped.status, code: mapped.code, message: mapped.message)
        } else {
            log("erreur interne non gérée : \(String(reflecting: error))")
            self = .error(
                status: 500,
                code: "internal",
                message: "Erreur interne du serveur. Réessayez plus tard ; si cela persiste, prévenez l'administrateur."
            )
        }
    }
}

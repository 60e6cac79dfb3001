import Shared

/// An error of the server, for a coordinator at the terminal or a client over HTTP: an HTTP status, a
/// stable machine code and a French message.
struct ServerError: Error, Sendable, CustomStringConvertible {
    let status: Int
    let code: String
    let message: String

    init(_ status: Int, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func user(_ message: String) -> ServerError { ServerError(400, "bad_request", message) }
    var description: String { message }
}

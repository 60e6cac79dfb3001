/// A response produced by a handler. The server adds `Content-Length`, `Date` and `Connection` itself.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc9110#section-15 (status codes).
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header fields to send, in order. `Content-Length`, `Transfer-Encoding`, `Date` and `Connection` set here
    /// are replaced by the server's own; `X-Grille-Device` is removed and reported in the log entry instead.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of the first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { HTTPField.namesEqual($0.0, name) }?.1
    }

    /// A JSON body in canonical form, typed `application/json; charset=utf-8`.
    public static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "application/json; charset=utf-8")],
            body: value.canonicalBytes()
        )
    }

    /// A plain-text body typed `text/plain; charset=utf-8`.
    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    /// The error document every failure answers: `{"error":{"code":…,"message":…}}`.
    public static func error(status: Int, code: String, message: String) -> HTTPResponse {
        json(["error": ["code": .string(code), "message": .string(message)]], status: status)
    }
}

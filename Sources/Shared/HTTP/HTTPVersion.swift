/// The two protocol versions the server speaks: HTTP/1.0 and HTTP/1.1.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc9112#section-2.3
public enum HTTPVersion: String, Sendable, Hashable, CustomStringConvertible {
    case http10 = "HTTP/1.0"
    case http11 = "HTTP/1.1"

    public var description: String { rawValue }
}

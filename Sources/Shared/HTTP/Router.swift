/// Exact-path routing: each route is a method and a path; nothing is pattern-matched.
///
/// An unknown path is 404 `not_found`; a known path with another method is 405 `method_not_allowed` with
/// `Allow` (RFC 9110 §15.5.6). HEAD falls back to the GET route (the server drops the body). Errors thrown
/// by routes become responses through `HTTPResponse(error:)`.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    var routes: [String: [String: Handler]] = [:]

    public init() {}

    /// Adds (or replaces) the handler for `method` on exactly `path`.
    public mutating func add(_ method: String, _ path: String, _ handler: @escaping Handler) {
        routes[path, default: [:]][method] = handler
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard let methods = routes[request.path] else {
            return .error(status: 404, code: "not_found", message: "Adresse inconnue : \(request.path).")
        }
        guard let handler = methods[request.method] ?? (request.method == "HEAD" ? methods["GET"] : nil) else {
            var allowed = Set(methods.keys)
            if allowed.contains("GET") { allowed.insert("HEAD") }
            var response = HTTPResponse.error(
                status: 405, code: "method_not_allowed",
                message: "Méthode \(request.method) non prise en charge pour \(request.path)."
            )
            response.headers.append(("Allow", allowed.sorted().joined(separator: ", ")))
            return response
        }
        do {
            return try handler(request)
        } catch {
            return HTTPResponse(error: error)
        }
    }
}

/// One line of the access log, one per answered request (malformed ones included, with `-` for what
/// could not be read).
public struct HTTPLogEntry: Sendable, CustomStringConvertible {
    public var method: String
    /// The decoded path, never the query string, which may carry secrets (tokens, codes).
    public var path: String
    public var status: Int
    /// From the complete request to the last byte of the response written.
    public var durationMilliseconds: Double
    /// The device the handler authenticated, reported through the `X-Grille-Device` response header,
    /// which the server removes before sending.
    public var deviceID: String?
    public var remoteAddress: String

    public init(
        method: String, path: String, status: Int, durationMilliseconds: Double, deviceID: String?, remoteAddress: String
    ) {
        self.method = method
        self.path = path
        self.status = status
        self.durationMilliseconds = durationMilliseconds
        self.deviceID = deviceID
        self.remoteAddress = remoteAddress
    }

    /// `127.0.0.1:50412 POST /sync/push 200 12.3ms device=AB12`: one line (paths hold no control characters).
    public var description: String {
        let tenths = Int((max(durationMilliseconds, 0) * 10).rounded())
        var line = "\(remoteAddress.isEmpty ? "-" : remoteAddress) \(method) \(path) \(status) \(tenths / 10).\(tenths % 10)ms"
        if let deviceID { line += " device=\(deviceID)" }
        return line
    }
}

/// A write that the grid's template does not allow. `code` is stable for machines (and the server's
/// rejections); `message` is French, for the user.
public struct GridRuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

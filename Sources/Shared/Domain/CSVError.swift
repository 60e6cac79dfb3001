/// Why a CSV input was rejected, and where.
///
/// `line` is the 1-based physical line (lines are counted by LF, inside quoted fields too) of
/// the byte that made the input invalid; for an unterminated quoted field it is the line of the
/// opening quote. `column` is the 1-based index of the field within its record. `message` is
/// French and meant for the person who produced the file.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "ligne \(line), champ \(column) : \(message)" }
}

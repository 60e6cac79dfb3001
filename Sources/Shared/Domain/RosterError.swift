/// Why a roster import was rejected, and where: the file, its physical line and the column's
/// name when they are known. `message` is French and says what to fix.
///
/// `description` reads like
/// `candidates.csv, ligne 4, colonne « internship_weeks » : « douze » n'est pas un nombre entier de semaines.`
public struct RosterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// File name within the roster directory, e.g. `candidates.csv`.
    public let file: String
    /// 1-based physical line, when the error belongs to one.
    public let line: Int?
    /// Name of the column from the header, when the error belongs to one.
    public let column: String?
    public let message: String

    public init(file: String, line: Int?, column: String?, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var place = file
        if let line { place += ", ligne \(line)" }
        if let column { place += ", colonne « \(column) »" }
        return place + " : " + message
    }
}

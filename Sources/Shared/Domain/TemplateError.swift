/// Why a template file was rejected: the file, the JSON path of the offending value
/// (`blocks[2].criteria[0].label`; empty for the whole document, as in a syntax error) and a
/// French message that says what to fix.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file's name (`ndrc-e4-ccf.json`); the template id for a template built in memory,
    /// the directory's path when the directory itself cannot be read.
    public let file: String
    public let field: String
    public let message: String

    public init(file: String, field: String, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "modèle \(file) : \(message)" : "modèle \(file), \(field) : \(message)"
    }
}

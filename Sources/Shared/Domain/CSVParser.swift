/// The byte-level state machine behind ``CSV/parse(_:limits:)``.
///
/// Works on bytes rather than characters: the bytes that carry meaning (quote, comma, CR, LF)
/// are ASCII and never occur inside a multi-byte UTF-8 sequence, so each field's bytes can be
/// validated as UTF-8 once the field is complete. See ``CSV`` for the accepted dialect.
struct CSVParser {
    private enum State {
        /// Nothing of the current field read yet.
        case fieldStart
        /// Inside a field that did not start with a quote.
        case unquoted
        /// Inside a quoted field.
        case quoted
        /// Just read a quote inside a quoted field: either the closing one or the first of `""`.
        case afterQuote
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private let bytes: [UInt8]
    private let limits: CSVLimits
    private var index = 0
    private var state = State.fieldStart
    /// Physical line of the byte being read (1-based, counted by LF).
    private var line = 1
    /// Line on which the current record started.
    private var recordLine = 1
    /// Line on which the current field started (its opening quote for a quoted field).
    private var fieldLine = 1
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var records: [CSV.Record] = []

    init(bytes: [UInt8], limits: CSVLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func run() throws(CSVError) -> [CSV.Record] {
        guard bytes.count <= limits.maxBytes else {
            throw CSVError(
                line: 1, column: 1,
                message: "Fichier trop volumineux (\(bytes.count) octets) : au plus \(limits.maxBytes) octets sont acceptés ; découpez-le."
            )
        }
        if bytes.starts(with: Self.byteOrderMark) { index = Self.byteOrderMark.count }

        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == 0 {
                throw failure("Caractère nul (octet 0) interdit : ce n'est sans doute pas un fichier texte ; enregistrez-le au format « CSV UTF-8 ».")
            }
            switch state {
            case .fieldStart:
                switch byte {
                case Self.quote:
                    fieldLine = line
                    state = .quoted
                case Self.comma:
                    try finishField()
                case Self.lf:
                    try endLine()
                case Self.cr:
                    try expectLineFeed()
                    try endLine()
                default:
                    fieldLine = line
                    try append(byte)
                    state = .unquoted
                }
            case .unquoted:
                switch byte {
                case Self.comma:
                    try finishField()
                    state = .fieldStart
                case Self.lf:
                    try endLine()
                case Self.cr:
                    try expectLineFeed()
                    try endLine()
                case Self.quote:
                    throw failure("Guillemet (\") au milieu d'un champ qui ne commence pas par un guillemet : entourez tout le champ de guillemets et doublez ceux qu'il contient (\"\").")
                default:
                    try append(byte)
                }
            case .quoted:
                if byte == Self.quote {
                    state = .afterQuote
                } else {
                    if byte == Self.lf { line += 1 }
                    try append(byte)
                }
            case .afterQuote:
                switch byte {
                case Self.quote:
                    try append(byte)
                    state = .quoted
                case Self.comma:
                    try finishField()
                    state = .fieldStart
                case Self.lf:
                    try endLine()
                case Self.cr:
                    try expectLineFeed()
                    try endLine()
                default:
                    throw failure("Caractère après le guillemet fermant d'un champ : un champ entre guillemets doit être suivi d'une virgule ou d'une fin de ligne ; doublez les guillemets qui font partie du texte (\"\").")
                }
            }
        }

        switch state {
        case .quoted:
            throw CSVError(
                line: fieldLine, column: fields.count + 1,
                message: "Champ entre guillemets jamais refermé : ajoutez le guillemet fermant (\") qui manque."
            )
        case .fieldStart:
            // "a,b," at the very end still ends with an empty field; an empty tail is nothing.
            if !fields.isEmpty {
                try finishField()
                try finishRecord()
            }
        case .unquoted, .afterQuote:
            try finishField()
            try finishRecord()
        }
        return records
    }

    /// An error at the byte just read, in the field being read.
    private func failure(_ message: String) -> CSVError {
        CSVError(line: line, column: fields.count + 1, message: message)
    }

    private mutating func expectLineFeed() throws(CSVError) {
        guard index < bytes.count, bytes[index] == Self.lf else {
            throw failure("Retour chariot (CR) isolé : les lignes doivent se terminer par LF ou CRLF ; enregistrez le fichier au format CSV.")
        }
        index += 1
    }

    private mutating func append(_ byte: UInt8) throws(CSVError) {
        guard field.count < limits.maxFieldBytes else {
            throw failure("Champ trop long : au plus \(limits.maxFieldBytes) octets sont acceptés par champ.")
        }
        field.append(byte)
    }

    /// Ends the current physical line outside quotes: ends the record, or skips a blank line.
    private mutating func endLine() throws(CSVError) {
        let blank = state == .fieldStart && fields.isEmpty
        if !blank {
            try finishField()
            try finishRecord()
        }
        line += 1
        recordLine = line
        state = .fieldStart
    }

    private mutating func finishField() throws(CSVError) {
        guard fields.count < limits.maxFieldsPerRow else {
            throw failure("Trop de champs sur cette ligne : au plus \(limits.maxFieldsPerRow) sont acceptés.")
        }
        guard let text = String(validating: field, as: UTF8.self) else {
            throw CSVError(
                line: fieldLine + Self.lineFeeds(in: field, before: Self.firstInvalidUTF8Offset(in: field)),
                column: fields.count + 1,
                message: "Texte qui n'est pas en UTF-8 : enregistrez le fichier au format « CSV UTF-8 » (dans le tableur : Enregistrer sous, jeu de caractères Unicode UTF-8)."
            )
        }
        fields.append(text)
        field.removeAll(keepingCapacity: true)
    }

    private mutating func finishRecord() throws(CSVError) {
        guard records.count < limits.maxRows else {
            throw CSVError(
                line: recordLine, column: 1,
                message: "Trop de lignes : au plus \(limits.maxRows) enregistrements sont acceptés ; découpez le fichier."
            )
        }
        records.append(CSV.Record(line: recordLine, fields: fields))
        fields = []
    }

    /// Offset of the first byte of the first ill-formed sequence (`bytes.count` if none).
    private static func firstInvalidUTF8Offset(in bytes: [UInt8]) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar):
                offset += scalar.count
            case .error, .emptyInput:
                return offset
            }
        }
    }

    private static func lineFeeds(in bytes: [UInt8], before end: Int) -> Int {
        bytes[..<min(end, bytes.count)].reduce(0) { $0 + ($1 == lf ? 1 : 0) }
    }
}

extension CSV {
    /// Writes `rows` as CSV, each record ended by CRLF as RFC 4180 asks.
    ///
    /// A field is quoted, its quotes doubled, when it contains the separator, a quote, CR or LF,
    /// when it starts with a byte-order mark (so a reader cannot drop it), and when it is the
    /// only field of its record and empty (so the record is not read as a blank line).
    /// ``parse(_:limits:)`` reads back exactly what this writes with the default separator,
    /// for rows of at least one field. A row with no field cannot be written and comes out as
    /// a blank line.
    ///
    /// - Parameters:
    ///   - separator: an ASCII byte other than quote, CR and LF; `;` suits spreadsheets set to
    ///     French, though ``parse(_:limits:)`` only reads commas.
    ///   - neutraliseFormulas: prefix with `'` every field that starts with `=`, `+`, `-`, `@`,
    ///     tab or CR, so a spreadsheet shows it as text instead of running it as a formula
    ///     (CSV injection, see <https://owasp.org/www-community/attacks/CSV_Injection>). Use it
    ///     for files opened in a spreadsheet; it changes such fields, negative numbers included.
    public static func encode(
        _ rows: [[String]],
        separator: UInt8 = UInt8(ascii: ","),
        neutraliseFormulas: Bool = false
    ) -> String {
        precondition(
            separator < 0x80 && separator != UInt8(ascii: "\"") && separator != UInt8(ascii: "\r") && separator != UInt8(ascii: "\n"),
            "CSV separator must be ASCII and not a quote or a line break"
        )
        let separatorText = String(UnicodeScalar(separator))
        var output = ""
        for row in rows {
            var first = true
            for field in row {
                if !first { output += separatorText }
                first = false
                let text = neutraliseFormulas ? neutralised(field) : field
                if needsQuotes(text, separator: separator) || (row.count == 1 && text.isEmpty) {
                    output += "\""
                    output += text.replacingQuotes()
                    output += "\""
                } else {
                    output += text
                }
            }
            output += "\r\n"
        }
        return output
    }

    private static let formulaTriggers: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    private static func neutralised(_ field: String) -> String {
        guard let first = field.unicodeScalars.first, formulaTriggers.contains(first) else { return field }
        return "'" + field
    }

    private static func needsQuotes(_ field: String, separator: UInt8) -> Bool {
        if field.unicodeScalars.first == "\u{FEFF}" { return true }
        return field.utf8.contains { byte in
            byte == separator || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
        }
    }
}

private extension String {
    /// The string with each `"` doubled, as a quoted CSV field needs.
    func replacingQuotes() -> String {
        var result = ""
        result.reserveCapacity(utf8.count)
        for character in unicodeScalars {
            if character == "\"" { result.unicodeScalars.append("\"") }
            result.unicodeScalars.append(character)
        }
        return result
    }
}

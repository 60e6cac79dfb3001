import Foundation

/// One roster CSV file, read within limits, its header checked, its fields trimmed and put in
/// the order of the expected columns.
///
/// The header must name exactly the expected columns, each once, in any order: names are
/// compared as written (lower case, after trimming spaces), so a spreadsheet that reorders
/// columns still imports, while a misspelt, missing or extra column is reported by name.
struct RosterTable {
    /// One data line.
    struct Row {
        /// Physical line the record starts on.
        let line: Int
        /// Trimmed fields, in the order of ``RosterTable/columns``.
        let fields: [String]
    }

    /// Bounds on one roster file.
    struct Limits: Sendable {
        var maxFileBytes: Int
        /// Records, the header included.
        var maxRows: Int

        /// 50 MiB and 200,000 lines a file.
        static let `default` = Limits(maxFileBytes: 50 * 1024 * 1024, maxRows: 200_000)
    }

    let file: String
    let columns: [String]
    let rows: [Row]

    /// The value of `column` (one of ``columns``) on `row`, ready to be checked.
    func cell(_ row: Row, _ column: String) -> RosterCell {
        guard let index = columns.firstIndex(of: column) else {
            preconditionFailure("\(column) is not a column of \(file)")
        }
        return RosterCell(file: file, line: row.line, column: column, text: row.fields[index])
    }

    /// `text` without the Unicode white space (no-break space included) at either end.
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }

    /// Reads `file` in `directory` and checks its header against `columns`.
    static func read(
        _ file: String,
        in directory: URL,
        columns: [String],
        limits: Limits
    ) throws(RosterError) -> RosterTable {
        let bytes = try readBytes(file, in: directory, limits: limits)
        let csvLimits = CSVLimits(
            maxBytes: limits.maxFileBytes,
            maxRows: limits.maxRows,
            maxFieldsPerRow: 64,
            maxFieldBytes: 4096
        )
        let records: [CSV.Record]
        do throws(CSVError) {
            records = try CSV.records(bytes, limits: csvLimits)
        } catch {
            throw RosterError(
                file: file, line: error.line,
                column: columnName(at: error.column, forErrorOn: error.line, in: bytes),
                message: error.message
            )
        }
        guard let header = records.first else {
            throw RosterError(
                file: file, line: nil, column: nil,
                message: "Le fichier est vide : sa première ligne doit nommer les colonnes \(columns.joined(separator: ", "))."
            )
        }
        let order = try headerOrder(header, file: file, columns: columns)
        let rows = try records.dropFirst().map { (record) throws(RosterError) -> Row in
            guard record.fields.count == header.fields.count else {
                throw RosterError(
                    file: file, line: record.line, column: nil,
                    message: "Cette ligne a \(record.fields.count) champ(s) alors que l'en-tête compte \(header.fields.count) colonnes : vérifiez les virgules (un texte qui contient une virgule doit être entre guillemets)."
                )
            }
            return Row(line: record.line, fields: order.map { Self.trimmed(record.fields[$0]) })
        }
        return RosterTable(file: file, columns: columns, rows: rows)
    }

    /// For each expected column, the index of the header field that names it.
    private static func headerOrder(_ header: CSV.Record, file: String, columns: [String]) throws(RosterError) -> [Int] {
        let names = header.fields.map(trimmed)
        let expected = columns.joined(separator: ", ")
        func failure(_ column: String?, _ message: String) -> RosterError {
            RosterError(file: file, line: header.line, column: column, message: message)
        }
        if names.count == 1, names[0].contains(";") {
            throw failure(nil, "Les colonnes doivent être séparées par des virgules, pas par des points-virgules : enregistrez le fichier au format CSV avec la virgule comme séparateur. Colonnes attendues : \(expected).")
        }
        var positions: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            if name.isEmpty {
                throw failure(nil, "La colonne n° \(index + 1) n'a pas de nom : supprimez-la ou nommez-la. Colonnes attendues : \(expected).")
            }
            guard columns.contains(name) else {
                if let match = columns.first(where: { $0 == name.lowercased() }) {
                    throw failure(name, "Colonne inconnue : écrivez son nom en minuscules, « \(match) ».")
                }
                throw failure(name, "Colonne inconnue : les colonnes attendues sont \(expected).")
            }
            if positions[name] != nil {
                throw failure(name, "Colonne présente deux fois : supprimez l'une des deux.")
            }
            positions[name] = index
        }
        for column in columns where positions[column] == nil {
            throw failure(column, "Colonne manquante : la première ligne doit nommer les colonnes \(expected) (dans n'importe quel ordre).")
        }
        return columns.map { positions[$0]! }
    }

    private static func readBytes(_ file: String, in directory: URL, limits: Limits) throws(RosterError) -> [UInt8] {
        let url = directory.appendingPathComponent(file)
        func failure(_ message: String) -> RosterError {
            RosterError(file: file, line: nil, column: nil, message: message)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw failure("Fichier introuvable dans le dossier « \(directory.path) » : ajoutez-le (les cinq fichiers establishments.csv, evaluators.csv, commissions.csv, candidates.csv et registrations.csv sont nécessaires).")
        }
        guard !isDirectory.boolValue else {
            throw failure("Ce n'est pas un fichier mais un dossier : remplacez-le par le fichier CSV attendu.")
        }
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: limits.maxFileBytes + 1) ?? Data()
        } catch {
            throw failure("Impossible de lire le fichier (\(error.localizedDescription)) : vérifiez ses droits d'accès.")
        }
        guard data.count <= limits.maxFileBytes else {
            throw failure("Fichier trop volumineux : au plus \(limits.maxFileBytes) octets sont acceptés ; découpez-le ou retirez les lignes inutiles.")
        }
        return [UInt8](data)
    }

    /// The header's name for field `column` of a CSV error on line `line`, when the header can
    /// be read on its own and the error is below it.
    private static func columnName(at column: Int, forErrorOn line: Int, in bytes: [UInt8]) -> String? {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var headerLine = 1
        while start < bytes.count, bytes[start] == UInt8(ascii: "\n") || bytes[start] == UInt8(ascii: "\r") {
            if bytes[start] == UInt8(ascii: "\n") { headerLine += 1 }
            start += 1
        }
        guard line > headerLine else { return nil }
        let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? bytes.count
        guard let header = try? CSV.records(Array(bytes[start..<end])), header.count == 1,
              header[0].fields.indices.contains(column - 1)
        else { return nil }
        let name = trimmed(header[0].fields[column - 1])
        return name.isEmpty ? nil : name
    }
}

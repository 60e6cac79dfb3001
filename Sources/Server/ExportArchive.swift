import Foundation
import Shared

/// The full archive of a session, written before a purge: the events as JSON lines, the notes CSV, the
/// V-4 grid and V-5 fiche of every final grid as printable HTML, the academy report as JSON, and a
/// `SHA256SUMS` file (`sha256sum -c SHA256SUMS` checks it). An audit line records it; `purge` refuses a
/// session without an archive that holds its latest event, unless `--force`.
extension ServerStore {
    struct ArchiveReport: Sendable {
        let directory: String
        /// File name → bytes written.
        let files: [(name: String, bytes: Int)]
        let events: Int
        let finalGrids: Int
        /// The highest `seq` among the session's events when the archive was read.
        let head: Int64
    }

    /// Events that belong to a session: its grids, its conformities and its `session/<year>` state.
    static let sessionEventsWhere = "(entity LIKE 'grid/%/' || ?1 || '/%' OR entity >= 'conformity/' || ?1 || '/' AND entity < 'conformity/' || ?1 || '0' OR entity = 'session/' || ?1)"

    func archive(session: String, to directory: String, by coordinator: String) throws -> ArchiveReport {
        guard roster.evaluator(coordinator)?.role == .academy else {
            throw ServerError.user("Seul un coordonnateur académique (rôle academy) archive une session.")
        }
        guard session.count == 4, session.allSatisfy(\.isNumber) else { throw ServerError.user("Session invalide « \(session) » (une année, par exemple 2026).") }
        guard try !isPurged(session) else { throw ServerError.user("Session \(session) purgée : il n'y a plus rien à archiver.") }
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try? manager.contentsOfDirectory(atPath: directory))?.isEmpty == true else {
                throw ServerError.user("« \(directory) » existe déjà et n'est pas un dossier vide : choisissez un nouveau dossier pour l'archive.")
            }
        } else {
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ServerError.user("Impossible de créer le dossier « \(directory) » : \(error.localizedDescription)")
            }
        }
        var files: [(name: String, bytes: Int)] = []
        var sums: [String] = []
        func write(_ name: String, _ text: String) throws {
            let data = Data(text.utf8)
            let path = (directory as NSString).appendingPathComponent(name)
            guard manager.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw ServerError.user("Impossible d'écrire « \(path) » : rien n'est enregistré comme archive.")
            }
            files.append((name, data.count))
            sums.append("\(Hex.encode(SHA256.hash(Array(data))))  \(name)")
        }
        // One snapshot for every file.
        let (events, finals, head): (Int, Int, Int64) = try db.read {
            var lines = ""
            var count = 0
            var head: Int64 = 0
            try db.forEach("SELECT seq, body FROM events WHERE \(Self.sessionEventsWhere) ORDER BY seq", values: [.text(session)]) { row in
                lines += row.string(1) + "\n"
                count += 1
                head = row.int64(0)
            }
            try write("saisies-\(session).jsonl", lines)
            let notes = try NotesExport.lines(store: self, session: session)
            try write("notes-\(session).csv", NotesExport.csv(notes, excel: false))
            try write("notes-\(session)-excel.csv", NotesExport.csv(notes, excel: true))
            let printer = GridPrinter(store: self)
            var finals = 0
            for commission in roster.commissions where commission.session == session {
                let ids = try printer.finalGrids(commission: commission.id).filter { id in
                    try db.scalarInt("SELECT 1 FROM state WHERE entity = ? LIMIT 1", id.entity) != nil
                }
                guard !ids.isEmpty else { continue }
                finals += ids.count
                try write("grilles-V4-\(session)-\(commission.id).html",
                          printer.gridDocument(ids, title: "Grilles d'aide à l'évaluation — commission \(commission.id) — session \(session)"))
                if catalog[commission.template]?.situation("final")?.fields.contains(.appreciationA) == true {
                    try write("fiches-V5-\(session)-\(commission.id).html",
                              printer.ficheDocument(ids, title: "Fiches d'évaluation — commission \(commission.id) — session \(session)"))
                }
            }
            let report = try ReportBuilder(store: self).build(.init(session: session))
            try write("rapport-\(session).json", report.json().prettyString() + "\n")
            return (count, finals, head)
        }
        try write("SHA256SUMS", sums.joined(separator: "\n") + "\n")
        try db.write {
            try audit("archive", by: coordinator,
                      detail: "session \(session) : \(events) saisies, \(finals) grilles finales, dossier \(directory) (saisie n° \(head))")
        }
        return ArchiveReport(directory: directory, files: files, events: events, finalGrids: finals, head: head)
    }

    /// True when an archive of the session was written (`archive`, recorded in the audit table) after the
    /// session's latest event.
    func hasArchive(session: String) throws -> Bool {
        let latest = try db.scalarInt("SELECT coalesce(max(seq), 0) FROM events WHERE \(Self.sessionEventsWhere)", session) ?? 0
        let details = try db.query("SELECT detail FROM audit WHERE action = 'archive' AND detail LIKE ?", "session \(session) :%").map { $0.string(0) }
        return details.contains { detail in
            guard let start = detail.range(of: "(saisie n° ", options: .backwards) else { return false }
            let digits = detail[start.upperBound...].prefix { $0.isNumber }
            return Int64(digits).map { $0 >= latest } ?? false
        }
    }

    /// Refuses a purge without an up-to-date archive (`purge` calls it unless `--force`).
    func requireArchive(session: String) throws {
        guard try hasArchive(session: session) else {
            throw ServerError.user("Aucune archive à jour de la session \(session) : lancez d'abord « grille-server archive --session \(session) --out DOSSIER --by ID » (ou --force pour passer outre).")
        }
    }
}

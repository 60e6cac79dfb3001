import Foundation
import Shared

/// The academy view's commands: `report`, `export notes`, `print grid|fiche`, `archive`.
extension ServerCLI {
    /// `report [NAME] [--session S] [--establishment UAI] [--template T] [--json|--csv]`
    func report() throws {
        try arguments.allowOnly(["db", "session", "establishment", "template", "json", "csv"], command: "report")
        let usage = "grille-server report [academy|candidates|criteria|notes|profiles|devices] [--session ANNÉE] [--establishment UAI] [--json|--csv]"
        let rest = try arguments.expectPositionals(0...1, after: 1, usage: usage)
        guard let part = AcademyReport.Part(rawValue: rest.first ?? "academy") else {
            throw UsageError("Rapport inconnu « \(rest[0]) » : academy, candidates, criteria, notes, profiles ou devices.")
        }
        guard !(json && arguments.has("csv")) else { throw UsageError("--json ou --csv, pas les deux.") }
        let store = try openStore()
        let session = try sessionOption(store)
        let started = Date()
        let report = try ReportBuilder(store: store).build(.init(session: session, establishment: arguments[option: "establishment"]?.uppercased(),
                                                                 template: arguments[option: "template"]), parts: [part])
        let elapsed = Date().timeIntervalSince(started)
        if json {
            Console.out(report.json(part).prettyString())
        } else if arguments.has("csv") {
            FileHandle.standardOutput.write(Data(try report.csv(part).utf8))
        } else {
            Console.out(report.text(part))
            Console.out("\n(calculé en \(Fixed.french(elapsed * 1_000, digits: 0)) ms)")
        }
    }

    /// `export notes [--session S] [--template T] [--excel] --out FILE`
    func exportNotes() throws {
        try arguments.allowOnly(["db", "session", "template", "excel", "out"], command: "export notes")
        _ = try arguments.expectPositionals(1...1, after: 1, usage: "grille-server export notes [--session ANNÉE] [--excel] --out FICHIER.csv")
        guard let out = arguments[option: "out"] else { throw UsageError("export notes demande --out FICHIER.csv.") }
        let store = try openStore()
        let session = try sessionOption(store)
        guard try !store.isPurged(session) else { throw ServerError.user("Session \(session) purgée : plus aucune note.") }
        let lines = try NotesExport.lines(store: store, session: session, template: arguments[option: "template"])
        let text = NotesExport.csv(lines, excel: arguments.has("excel"))
        guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ServerError.user("Impossible d'écrire « \(out) ».")
        }
        try store.db.write { try store.audit("export notes", by: nil, detail: "\(lines.count) lignes → \(out)", session: session) }
        Console.out("Notes de la session \(session) : \(lines.count) candidats écrits dans \(out)\(arguments.has("excel") ? " (format Excel français)" : "").")
    }

    /// `print grid|fiche GRID|--commission ID [--out FILE]`
    func printDocuments() throws {
        try arguments.allowOnly(["db", "commission", "out"], command: "print")
        let usage = "grille-server print grid|fiche GRILLE|--commission ID [--out FICHIER.html]"
        let rest = try arguments.expectPositionals(1...2, after: 1, usage: usage)
        let kind = rest[0]
        guard kind == "grid" || kind == "fiche" else { throw UsageError("Impression inconnue « \(kind) » : grid (grille V-4) ou fiche (fiche V-5).") }
        let commission = arguments[option: "commission"]
        guard (rest.count == 2) != (commission != nil) else { throw UsageError("Indiquez une grille ou --commission ID (l'un ou l'autre).\nUtilisation : \(usage)") }
        let store = try openStore()
        let printer = GridPrinter(store: store)
        let ids: [GridID]
        let name: String
        if let commission {
            ids = try printer.finalGrids(commission: commission)
            name = "commission \(commission)"
        } else {
            let id = try store.resolveGrid(rest[1])
            guard kind == "grid" || id.situation == "final" else { throw ServerError.user("La fiche d'évaluation se fait à partir de la grille finale (…/final).") }
            ids = [id]
            name = id.situation == "final" ? "candidat \(id.candidate)" : id.entity
        }
        guard let first = ids.first else { throw ServerError.user("Aucun candidat dans la \(name).") }
        guard try !store.isPurged(first.session) else { throw ServerError.user("Session \(first.session) purgée : plus aucun document.") }
        let html: String
        let out: String
        let slug = commission ?? first.candidate
        if kind == "grid" {
            html = try printer.gridDocument(ids, title: "Grille d'aide à l'évaluation — \(name) — session \(first.session)")
            out = arguments[option: "out"] ?? "grille-V4-\(slug)-\(first.session).html"
        } else {
            guard try GridLoader.sessionState(first.session, in: store.db) == .published else {
                throw ServerError.user("La session \(first.session) n'est pas publiée : aucune fiche destinée à un candidat ne sort avant la publication des résultats (la grille V-4 s'imprime avec « print grid »).")
            }
            html = try printer.ficheDocument(ids, title: "Fiche d'évaluation — \(name) — session \(first.session)")
            out = arguments[option: "out"] ?? "fiche-V5-\(slug)-\(first.session).html"
        }
        guard FileManager.default.createFile(atPath: out, contents: Data(html.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ServerError.user("Impossible d'écrire « \(out) ».")
        }
        try store.db.write { try store.audit("print \(kind)", by: nil, detail: "\(name) → \(out)", session: first.session) }
        Console.out(kind == "grid"
            ? "\(ids.count) grille(s) V-4 (\(name)) écrite(s) dans \(out) — document confidentiel, réservé à la commission d'interrogation."
            : "\(ids.count) fiche(s) d'évaluation V-5 (\(name)) écrite(s) dans \(out).")
    }

    /// `archive --session S --out DIR --by ID`
    func archive() throws {
        try arguments.allowOnly(["db", "session", "out", "by"], command: "archive")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-server archive --session ANNÉE --out DOSSIER --by ID")
        guard let session = arguments[option: "session"], let out = arguments[option: "out"] else {
            throw UsageError("archive demande --session ANNÉE et --out DOSSIER.")
        }
        let by = try requireBy()
        let store = try openStore()
        let archive = try store.archive(session: session, to: out, by: by)
        Console.out("Archive de la session \(session) écrite dans \(archive.directory) : \(archive.events) saisies, \(archive.finalGrids) grilles finales, \(archive.files.count) fichiers (contrôle : cd \(archive.directory) && sha256sum -c SHA256SUMS).")
        Console.out("La purge de la session est maintenant possible (grille-server purge --session \(session) --by ID --yes).")
    }

    /// `--session S`, or the roster's latest session.
    func sessionOption(_ store: ServerStore) throws -> String {
        if let session = arguments[option: "session"] { return session }
        guard let session = ReportBuilder.defaultSession(store.roster) else {
            throw ServerError.user("Aucune commission dans la liste : importez la liste (roster import) ou précisez --session ANNÉE.")
        }
        return session
    }

    static let reportHelp = """
          report [NOM] [--session ANNÉE] [--establishment UAI] [--template MODÈLE] [--json|--csv]
                                                         vue académique ; NOM : academy (tout), candidates, criteria,
                                                         notes, profiles, devices ; --csv (Excel français) pour un NOM
          export notes [--session ANNÉE] [--excel] --out FICHIER.csv
                                                         notes de tous les candidats (NV, AB compris), pour les
                                                         coordonnateurs, même avant la publication ; --excel : « ; »,
                                                         virgule décimale, BOM UTF-8
          print grid GRILLE|--commission ID [--out F]    grille V-4 imprimable (A4), confidentielle : commission et
                                                         coordonnateurs seulement
          print fiche GRILLE|--commission ID [--out F]   fiche d'évaluation V-5 imprimable, après publication
          archive --session ANNÉE --out DOSSIER --by ID  archive complète (saisies, notes, grilles, fiches), avant la purge
        """
}

import Foundation
import Shared

/// The documents a simulation grid (situation B) refers to: the FDAP it comes from (annexe V-1: number
/// and title, one field) and the fiche sujet candidat and jury (annexes V-2 and V-3: text fields, one field).
extension AgentCLI {
    /// Largest fiche sujet file read, in bytes.
    static let maxSubjectFileBytes = 64 * 1024

    /// `grid fdap GRID --number N --title T`.
    func gridFdap() throws {
        try arguments.allowOnly(["data", "number", "title"], command: "grid fdap")
        let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-agent grid fdap GRILLE --number N --title TITRE")
        guard let number = arguments[option: "number"], let title = arguments[option: "title"] else {
            throw UsageError("grid fdap demande --number et --title.")
        }
        let ctx = try context()
        let view = try ctx.store.gridView(try ctx.store.resolveGrid(rest[0]), catalog: ctx.catalog)
        try requireWritable(view.id, ctx)
        let value: JSONValue = ["number": .string(number.trimmingWhitespace()), "title": .string(title.trimmingWhitespace())]
        let writes = [LocalStore.Write(entity: view.id.entity, field: GridField.fdap, value: value)]
        try validate(writes, view: view)
        try ctx.store.append(writes, author: ctx.me.id)
        say("FDAP enregistrée : n° \(number.trimmingWhitespace()) — \(title.trimmingWhitespace()).")
    }

    /// `grid subject GRID --file FICHE.json`: a JSON object of text fields, at most 64 KiB.
    func gridSubject() throws {
        try arguments.allowOnly(["data", "file"], command: "grid subject")
        let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-agent grid subject GRILLE --file FICHE.json")
        guard let path = arguments[option: "file"] else {
            throw UsageError("grid subject demande --file FICHE.json.")
        }
        let ctx = try context()
        let view = try ctx.store.gridView(try ctx.store.resolveGrid(rest[0]), catalog: ctx.catalog)
        try requireWritable(view.id, ctx)
        let value = try AgentCLI.readSubject(path)
        let writes = [LocalStore.Write(entity: view.id.entity, field: GridField.subject, value: value)]
        try validate(writes, view: view)
        guard value.canonicalBytes().count <= Event.Limits.maxValueBytes else {
            throw AgentError.user("La fiche sujet « \(path) » est trop longue une fois encodée (plus de 64 Kio) : raccourcissez ses textes.")
        }
        try ctx.store.append(writes, author: ctx.me.id)
        say("Fiche sujet enregistrée (\(value.objectValue?.count ?? 0) champ(s)).")
    }

    /// Reads a fiche sujet file: a JSON object, at most `maxSubjectFileBytes`.
    static func readSubject(_ path: String) throws -> JSONValue {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AgentError.user("Fichier introuvable « \(path) » : indiquez le chemin de la fiche sujet (objet JSON de champs texte).")
        }
        guard !isDirectory.boolValue else {
            throw AgentError.user("« \(path) » est un dossier : indiquez le fichier de la fiche sujet (objet JSON de champs texte).")
        }
        if let size = (try? manager.attributesOfItem(atPath: path))?[.size] as? Int, size > maxSubjectFileBytes {
            throw AgentError.user("La fiche sujet « \(path) » dépasse 64 Kio (\(size) octets) : raccourcissez ses textes.")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AgentError.user("Impossible de lire « \(path) » : vérifiez ses droits.")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxSubjectFileBytes + 1) ?? Data()
        } catch {
            throw AgentError.user("Impossible de lire « \(path) » : vérifiez ses droits.")
        }
        guard data.count <= maxSubjectFileBytes else {
            throw AgentError.user("La fiche sujet « \(path) » dépasse 64 Kio : raccourcissez ses textes.")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(Array(data))
        } catch {
            throw AgentError.user("La fiche sujet « \(path) » n'est pas un JSON valide : elle doit contenir un objet de champs texte, par exemple {\"contexte\": \"…\", \"consignes\": \"…\"}.")
        }
        guard value.objectValue != nil else {
            throw AgentError.user("La fiche sujet « \(path) » doit contenir un objet JSON de champs texte, par exemple {\"contexte\": \"…\", \"consignes\": \"…\"}.")
        }
        return value
    }
}

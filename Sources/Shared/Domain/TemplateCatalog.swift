import Foundation

/// The templates a program knows, by id: the bundled official grids, or a directory of JSON
/// files. Every template is validated and ids are unique across files.
public struct TemplateCatalog: Sendable {
    /// Sorted by id.
    public let templates: [Template]
    private let byID: [String: Template]

    public var ids: [String] { templates.map(\.id) }

    public subscript(id: String) -> Template? { byID[id] }

    /// Validates each template; errors name the template by its id, as there is no file.
    public init(templates: [Template]) throws(TemplateError) {
        try self.init(sources: templates.map { (file: $0.id, template: $0) })
    }

    private init(sources: [(file: String, template: Template)]) throws(TemplateError) {
        var byID: [String: Template] = [:]
        var fileOf: [String: String] = [:]
        for (file, template) in sources {
            try template.validate(file: file)
            if let other = fileOf[template.id] {
                throw TemplateError(file: file, field: "id",
                                    message: "identifiant de modèle « \(template.id) » déjà utilisé par \(other)")
            }
            fileOf[template.id] = file
            byID[template.id] = template
        }
        self.byID = byID
        templates = byID.values.sorted { $0.id < $1.id }
    }

    /// Loads every `*.json` file of `directory` (other files are ignored), in file-name order.
    public static func load(directory: URL) throws(TemplateError) -> TemplateCatalog {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
                .filter { $0.pathExtension == "json" }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
        } catch {
            throw TemplateError(file: directory.path, field: "", message: "dossier de modèles illisible : \(error.localizedDescription)")
        }
        if files.isEmpty {
            throw TemplateError(file: directory.path, field: "", message: "aucun fichier .json de modèle dans ce dossier")
        }
        var sources: [(file: String, template: Template)] = []
        for url in files {
            let name = url.lastPathComponent
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                throw TemplateError(file: name, field: "", message: "fichier illisible : \(error.localizedDescription)")
            }
            sources.append((name, try Template.decode(data, file: name)))
        }
        return try TemplateCatalog(sources: sources)
    }

    /// The official grids shipped in `Resources/templates`, loaded once per process.
    public static func bundled() throws(TemplateError) -> TemplateCatalog {
        try bundledResult.get()
    }

    private static let bundledResult = Result { () throws(TemplateError) -> TemplateCatalog in
        guard let resources = Bundle.module.resourceURL else {
            throw TemplateError(file: "templates", field: "", message: "ressources du module Shared introuvables")
        }
        return try load(directory: resources.appendingPathComponent("templates", isDirectory: true))
    }
}

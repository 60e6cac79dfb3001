import Foundation

// JSON decoding of templates: defaults for optional keys, unknown keys rejected, and
// `DecodingError` turned into a `TemplateError` that names the JSON path.

extension Template {
    /// Decodes and validates one template file's bytes; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws(TemplateError) -> Template {
        let template: Template
        do {
            template = try JSONDecoder().decode(Template.self, from: data)
        } catch let error as DecodingError {
            throw TemplateError(decoding: error, data: data, file: file)
        } catch {
            throw TemplateError(file: file, field: "", message: "lecture impossible : \(error)")
        }
        try template.validate(file: file)
        return template
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            version: try c.decode(String.self, forKey: .version),
            title: try c.decode(String.self, forKey: .title),
            epreuve: try c.decode(String.self, forKey: .epreuve),
            diploma: try c.decode(String.self, forKey: .diploma),
            form: try c.decode(String.self, forKey: .form),
            confidentiality: try c.decodeIfPresent(String.self, forKey: .confidentiality),
            scale: try c.decode([Level].self, forKey: .scale),
            note: try c.decodeIfPresent(NoteScale.self, forKey: .note),
            blocks: try c.decode([Block].self, forKey: .blocks),
            situations: try c.decode([Situation].self, forKey: .situations)
        )
    }
}

extension Template.Level {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            code: try c.decode(String.self, forKey: .code),
            label: try c.decode(String.self, forKey: .label),
            name: try c.decodeIfPresent(String.self, forKey: .name)
        )
    }
}

extension Template.NoteScale {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(max: try c.decode(Double.self, forKey: .max), step: try c.decode(Double.self, forKey: .step))
    }
}

extension Template.Block {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            label: try c.decode(String.self, forKey: .label),
            situationLabel: try c.decodeIfPresent(String.self, forKey: .situationLabel),
            criteria: try c.decode([Template.Criterion].self, forKey: .criteria),
            evaluation: try c.decodeIfPresent([Template.Evaluation].self, forKey: .evaluation) ?? []
        )
    }
}

extension Template.Criterion {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            label: try c.decode(String.self, forKey: .label),
            indicators: try c.decodeIfPresent(String.self, forKey: .indicators)
        )
    }
}

extension Template.Evaluation {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            label: try c.decode(String.self, forKey: .label),
            indicators: try c.decodeIfPresent(String.self, forKey: .indicators)
        )
    }
}

extension Template.Situation {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id),
            label: try c.decode(String.self, forKey: .label),
            multiple: try c.decodeIfPresent(Bool.self, forKey: .multiple) ?? false,
            blocks: try c.decodeIfPresent([String].self, forKey: .blocks) ?? [],
            alternatives: try c.decodeIfPresent([[String]].self, forKey: .alternatives) ?? [],
            fields: try c.decodeIfPresent([Template.Field].self, forKey: .fields) ?? [],
            givesNote: try c.decodeIfPresent(Bool.self, forKey: .givesNote) ?? false
        )
    }
}

extension Template.Field {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let raw = try c.decode(String.self)
        guard let field = Self(rawValue: raw) else {
            let known = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "champ inconnu « \(raw) » ; champs connus : \(known)")
        }
        self = field
    }
}

/// A coding key read from the document itself, to list the keys an object really has.
private struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

extension Decoder {
    /// Throws `dataCorrupted` at the first (alphabetical) key of the current object that `Keys`
    /// does not declare.
    fileprivate func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_: Keys.Type) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        let known = Set(Keys.allCases.map(\.stringValue))
        let unknown = container.allKeys.filter { !known.contains($0.stringValue) }
        guard let first = unknown.min(by: { $0.stringValue < $1.stringValue }) else { return }
        let expected = Keys.allCases.map(\.stringValue).joined(separator: ", ")
        throw DecodingError.dataCorrupted(.init(
            codingPath: codingPath + [first],
            debugDescription: "clé inconnue « \(first.stringValue) » ; clés possibles : \(expected)"))
    }
}

extension TemplateError {
    /// Maps a decoding failure to the JSON path it happened at, with a French message.
    init(decoding error: DecodingError, data: Data, file: String) {
        switch error {
        case .keyNotFound(let key, let context):
            self.init(file: file, field: Self.path(context.codingPath + [key]), message: "clé obligatoire absente")
        case .valueNotFound(let type, let context):
            self.init(file: file, field: Self.path(context.codingPath),
                      message: "valeur absente (null) : \(Self.describe(type)) attendu")
        case .typeMismatch(let type, let context):
            self.init(file: file, field: Self.path(context.codingPath),
                      message: "type incorrect : \(Self.describe(type)) attendu")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            self.init(file: file, field: "", message: "JSON invalide : \(Self.syntaxError(in: data))")
        case .dataCorrupted(let context):
            self.init(file: file, field: Self.path(context.codingPath), message: context.debugDescription)
        @unknown default:
            self.init(file: file, field: "", message: "\(error)")
        }
    }

    /// `blocks[2].criteria[0].label` from a coding path.
    static func path(_ keys: [any CodingKey]) -> String {
        var path = ""
        for key in keys {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "texte"
        case is Bool.Type: return "booléen (true ou false)"
        case is Double.Type, is Int.Type: return "nombre"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "liste" }
            if name.hasPrefix("Dictionary") { return "objet" }
            return name
        }
    }

    /// JSONDecoder does not say where the syntax breaks; JSONSerialization does.
    private static func syntaxError(in data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return "document illisible"
        } catch {
            let info = (error as NSError).userInfo
            return info[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        }
    }
}

import Foundation
import Shared

extension LocalUI {
    /// The named text values of a request: the query of a GET, or the body of a POST sent either as a JSON
    /// object by the page's script or as an HTML form without JavaScript. Values are text; JSON `true`,
    /// `false` and numbers become their text, `null` an absent value. Control characters other than tab and
    /// line breaks are refused, so nothing invisible reaches the log.
    struct Input: Sendable {
        var values: [String: String]
        /// True for a form posted without JavaScript (the answer is then a redirect or an HTML page).
        var isForm: Bool

        init(query: [String: String]) {
            values = query
            isForm = false
        }

        init(values: [String: String], isForm: Bool = false) {
            self.values = values
            self.isForm = isForm
        }

        init(body request: HTTPRequest) throws {
            let type = (request.header("Content-Type") ?? "").split(separator: ";").first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            let limit = request.path == "/api/import-receipts" ? LocalUI.maxBodyBytes : LocalUI.maxFormBytes
            guard request.body.count <= limit else {
                throw LocalUIError(status: 413, code: "payload_too_large", message: "Demande trop volumineuse (plus de \(limit / 1024) Kio) : rien n'a été enregistré.")
            }
            switch type {
            case "application/json":
                values = try Input.decodeJSON(request.body)
                isForm = false
            case "application/x-www-form-urlencoded":
                values = try Input.decodeForm(request.body)
                isForm = true
            default:
                throw LocalUIError(status: 415, code: "unsupported_media_type", message: "Type de contenu non pris en charge : envoyez un objet JSON (application/json) ou un formulaire.")
            }
            for (name, value) in values where !Input.isClean(name) || !Input.isClean(value) {
                throw LocalUIError.badRequest("Texte refusé : le champ « \(Input.isClean(name) ? name : "?") » contient un caractère de contrôle. Rien n'a été enregistré.")
            }
        }

        static func decodeJSON(_ body: [UInt8]) throws -> [String: String] {
            let value: JSONValue
            do {
                value = try JSONValue.parse(body, limits: JSONLimits(maxDepth: 4, maxBytes: LocalUI.maxBodyBytes, maxStringBytes: LocalUI.maxBodyBytes))
            } catch {
                throw LocalUIError.badRequest("Demande illisible : ce n'est pas du JSON valide. Rechargez la page, puis recommencez.")
            }
            guard case .object(let members) = value else {
                throw LocalUIError.badRequest("Demande illisible : un objet JSON est attendu.")
            }
            var values: [String: String] = [:]
            for (name, member) in members {
                switch member {
                case .null: continue
                case .string(let text): values[name] = text
                case .bool(let flag): values[name] = flag ? "true" : "false"
                case .int(let number): values[name] = String(number)
                default: throw LocalUIError.badRequest("Demande illisible : le champ « \(name) » doit être du texte.")
                }
            }
            return values
        }

        static func decodeForm(_ body: [UInt8]) throws -> [String: String] {
            var values: [String: String] = [:]
            for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (raw: Substring) -> String? in
                    raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
                }
                guard let name = decode(parts[0]), let value = decode(parts.count == 2 ? parts[1] : "") else {
                    throw LocalUIError.badRequest("Formulaire illisible : rechargez la page, puis recommencez.")
                }
                if values[name] == nil { values[name] = value }
            }
            return values
        }

        /// No control character but tab, line feed and carriage return.
        static func isClean(_ text: String) -> Bool {
            text.unicodeScalars.allSatisfy { scalar in
                scalar == "\t" || scalar == "\n" || scalar == "\r" || (scalar.value >= 0x20 && scalar.value != 0x7F)
            }
        }

        func optional(_ name: String) -> String? {
            values[name]
        }

        /// A value that must be present and not blank; `what` names it in the message.
        func required(_ name: String, _ what: String) throws -> String {
            guard let value = values[name], !value.trimmingWhitespace().isEmpty else {
                throw LocalUIError.badRequest("\(what) manque : remplissez ce champ.")
            }
            return value
        }

        func flag(_ name: String) -> Bool {
            ["true", "on", "1", "yes", "oui"].contains(values[name]?.lowercased() ?? "")
        }

        /// The page a form posted without JavaScript goes back to: a path of this site only.
        var back: String {
            guard let back = values["back"], back.hasPrefix("/"), !back.hasPrefix("//"), !back.contains("\\"),
                  back.utf8.count <= 2048, back.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return "/" }
            return back
        }

        /// A full grid id (`grid/<template>/<session>/<candidate>/<situation>`), never a suffix to resolve.
        func grid() throws -> GridID {
            let text = try required("grid", "La grille")
            guard let id = GridID(entity: text) else {
                throw LocalUIError.badRequest("Grille invalide « \(text) » : rechargez la page depuis la liste des candidats.")
            }
            return id
        }
    }
}

import Foundation

/// The shape rules of grid fields, checked for every write on its own (by the agent before writing, by
/// the server when it receives an event). Rules that involve several fields (option exclusivity,
/// completeness, signatures) are evaluated on the merged state by `GridView`, never here.
public enum GridRules {
    /// Longest free text accepted (comments, appreciations, recommendations), in characters.
    public static let maxTextLength = 10_000

    /// Checks that `value` is an acceptable value of `field` on a grid of `template` for `grid`'s
    /// situation. `null` (a tombstone, clearing a field) is accepted for every known field.
    public static func validate(field: String, value: JSONValue, grid: GridID, template: Template) throws(GridRuleError) {
        guard let situation = template.situation(grid.situation) else {
            throw GridRuleError("unknown_situation", "La situation « \(grid.situation) » n'existe pas pour la grille \(template.id).")
        }
        if let (kind, criterionID) = GridField.criterion(of: field) {
            guard template.criterion(criterionID) != nil else {
                throw GridRuleError("unknown_criterion", "Le critère « \(criterionID) » n'existe pas dans la grille \(template.id).")
            }
            guard template.criteria(for: situation).contains(where: { $0.id == criterionID }) else {
                throw GridRuleError("criterion_not_in_situation", "Le critère « \(criterionID) » ne s'évalue pas en situation \(situation.id).")
            }
            if value == .null { return }
            switch kind {
            case "level":
                guard let code = value.stringValue, template.level(code) != nil else {
                    let codes = template.scale.map(\.code).joined(separator: ", ")
                    throw GridRuleError("unknown_level", "Niveau inconnu « \(display(value)) » : choisissez parmi \(codes).")
                }
            case "comment":
                try validateText(value, what: "Le commentaire")
            default: // prefill: the level that was pre-filled, until a jury member confirms it
                guard let code = value.stringValue, template.level(code) != nil else {
                    throw GridRuleError("bad_prefill", "Valeur de pré-remplissage invalide.")
                }
            }
            return
        }
        if let signer = GridField.signer(of: field) {
            guard GridID.isSafeComponent(signer) else {
                throw GridRuleError("bad_signature", "Signataire invalide « \(signer) ».")
            }
            if value == .null { return }
            guard let hash = value["content"]?.stringValue, hash.utf8.count == 64, Hex.decode(hash) != nil else {
                throw GridRuleError("bad_signature", "Une signature contient l'empreinte SHA-256 du contenu signé.")
            }
            return
        }
        switch field {
        case GridField.status:
            guard value == .null || ["draft", "absent", "deleted"].contains(value.stringValue ?? "") else {
                throw GridRuleError("bad_status", "Statut de grille inconnu « \(display(value)) ».")
            }
            return
        case GridField.harmonisation:
            throw GridRuleError("coordinator_only", "L'harmonisation est réservée aux coordonnateurs (grille-server harmonise).")
        default:
            break
        }
        guard let known = Template.Field(rawValue: field) else {
            throw GridRuleError("unknown_field", "Champ inconnu « \(field) ».")
        }
        guard situation.fields.contains(known) else {
            throw GridRuleError("field_not_in_situation", "Le champ « \(field) » ne s'utilise pas en situation \(situation.id).")
        }
        if value == .null { return }
        switch known {
        case .option:
            let options = template.optionBlocks(in: situation)
            guard let option = value.stringValue, options.contains(option) else {
                throw GridRuleError("unknown_option", "Option inconnue « \(display(value)) » : choisissez parmi \(options.joined(separator: ", ")).")
            }
        case .note:
            guard let scale = template.note, let half = value.intValue, half >= 0, half <= Int64(scale.maxHalfPoints),
                  scale.isValid(halfPoints: Int(half)) else {
                throw GridRuleError("bad_note", "La note doit être comprise entre 0 et 20, par demi-point.")
            }
        case .date:
            guard let text = value.stringValue, isISODate(text) else {
                throw GridRuleError("bad_date", "Date invalide « \(display(value)) » : écrivez-la AAAA-MM-JJ, par exemple 2026-03-14.")
            }
        case .recommendations, .appreciationA, .appreciationB:
            try validateText(value, what: "Le texte")
        case .fdap:
            guard case .object(let object) = value, Set(object.keys).isSubset(of: ["number", "title"]),
                  let title = object["title"]?.stringValue, !title.isEmpty, title.count <= 500,
                  let number = object["number"]?.stringValue, !number.isEmpty, number.count <= 20 else {
                throw GridRuleError("bad_fdap", "La FDAP se décrit par un numéro et un titre.")
            }
        case .subject:
            guard case .object(let object) = value, !object.isEmpty,
                  object.values.allSatisfy({ ($0.stringValue?.count ?? .max) <= maxTextLength }) else {
                throw GridRuleError("bad_subject", "La fiche sujet se décrit par des champs de texte.")
            }
        }
    }

    /// Checks a coordinator's harmonisation value: a note of the template's scale and a reason.
    public static func validateHarmonisation(_ value: Harmonisation, template: Template) throws(GridRuleError) {
        guard let scale = template.note, value.note >= 0, value.note <= scale.maxHalfPoints, scale.isValid(halfPoints: value.note) else {
            throw GridRuleError("bad_note", "La note harmonisée doit être comprise entre 0 et 20, par demi-point.")
        }
        try validateText(.string(value.reason), what: "Le motif de l'harmonisation")
    }

    /// Checks a write to a conformity entity (`conformity/<session>/<candidate>/<template>`).
    public static func validateConformity(field: String, value: JSONValue) throws(GridRuleError) {
        guard field == Conformity.field else {
            throw GridRuleError("unknown_field", "Champ inconnu « \(field) » pour la conformité.")
        }
        guard value == .null || Conformity(rawValue: value.stringValue ?? "") != nil else {
            let codes = Conformity.allCases.map(\.rawValue).joined(separator: ", ")
            throw GridRuleError("bad_conformity", "Conformité inconnue « \(display(value)) » : choisissez parmi \(codes).")
        }
    }

    static func validateText(_ value: JSONValue, what: String) throws(GridRuleError) {
        guard let text = value.stringValue else {
            throw GridRuleError("bad_text", "\(what) doit être du texte.")
        }
        guard text.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
            throw GridRuleError("empty_text", "\(what) est vide : écrivez quelque chose, ou effacez le champ.")
        }
        // A character takes at least one byte: counting characters is needed only for long texts.
        guard text.utf8.count <= maxTextLength || text.count <= maxTextLength else {
            throw GridRuleError("text_too_long", "\(what) dépasse \(maxTextLength) caractères (\(text.count)).")
        }
    }

    /// `YYYY-MM-DD` with a real calendar day.
    public static func isISODate(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              (1900...2999).contains(year), (1...12).contains(month) else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    /// Reads a note typed by a user, « 14,5 » or « 14.5 », into half-points; nil when it is not a
    /// number between 0 and 20 by half-points.
    public static func parseNote(_ text: String) -> Int? {
        let normalised = text.trimmingWhitespace().replacingOccurrences(of: ",", with: ".")
        let parts = normalised.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.count <= 2,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }), let units = Int(whole) else { return nil }
        var half = units * 2
        if parts.count == 2 {
            let fraction = parts[1]
            switch fraction {
            case "5", "50": half += 1
            case "0", "00": break
            default: return nil
            }
        }
        return (0...40).contains(half) ? half : nil
    }

    /// A note in half-points, written the French way: « 14,5 », « 15 ».
    public static func formatNote(halfPoints: Int) -> String {
        halfPoints % 2 == 0 ? "\(halfPoints / 2)" : "\(halfPoints / 2),5"
    }

    static func display(_ value: JSONValue) -> String {
        value.stringValue ?? value.canonicalString
    }
}

extension String {
    /// The string without leading and trailing white space and newlines.
    public func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}

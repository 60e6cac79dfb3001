/// A grid as the merged state shows it: levels, comments, fields, conflicts and signatures, with the
/// rules that involve several fields evaluated here — option exclusivity, completeness, signature
/// validity — never by refusing an event. See DESIGN.md ("Merge", "Signatures") and GRIDS.md ("Rules").
public struct GridView: Sendable {
    public let id: GridID
    public let template: Template
    public let situation: Template.Situation
    /// The merged fields of the grid entity, by field name.
    public let fields: [String: FieldState]
    /// What the grid entity alone cannot tell: the commission's members and the candidate's conformity.
    public let context: Context

    public struct Context: Sendable, Equatable {
        /// Evaluator ids of the commission: a final grid is complete when each of them has a valid signature.
        public var members: [String]
        /// The merged conformity of the candidate for this template and session (nil: not recorded).
        public var conformity: Conformity?

        public init(members: [String] = [], conformity: Conformity? = nil) {
            self.members = members
            self.conformity = conformity
        }
    }

    public init(id: GridID, template: Template, fields: [String: FieldState], context: Context = Context()) throws(GridRuleError) {
        guard let situation = template.situation(id.situation) else {
            throw GridRuleError("unknown_situation", "La situation « \(id.situation) » n'existe pas pour la grille \(template.id).")
        }
        self.id = id
        self.template = template
        self.situation = situation
        self.fields = fields
        self.context = context
    }

    /// The live value of a field: nil when unset or cleared (tombstone).
    public func value(_ field: String) -> JSONValue? {
        guard let state = fields[field], !state.isTombstone else { return nil }
        return state.value
    }

    public var option: String? { value(GridField.option)?.stringValue }
    public var note: Int? { value(GridField.note)?.intValue.map { Int($0) } }

    /// The coordinator's harmonisation, if any (read-only for the jury).
    public var harmonisation: Harmonisation? { value(GridField.harmonisation).flatMap(Harmonisation.init) }

    /// The retained note: the harmonised one if any, else the jury's proposal.
    public var retainedNote: Int? { harmonisation?.note ?? note }
    /// The final grid: the one a jury signs.
    public var isFinal: Bool { situation.id == "final" }

    /// Criterion id → level code, for every criterion with a live level (in scope or not).
    public var levels: [String: String] {
        var result: [String: String] = [:]
        for (field, state) in fields where !state.isTombstone {
            if let (kind, criterion) = GridField.criterion(of: field), kind == "level", let code = state.value.stringValue {
                result[criterion] = code
            }
        }
        return result
    }

    public var comments: [String: String] {
        var result: [String: String] = [:]
        for (field, state) in fields where !state.isTombstone {
            if let (kind, criterion) = GridField.criterion(of: field), kind == "comment", let text = state.value.stringValue {
                result[criterion] = text
            }
        }
        return result
    }

    /// The criteria a complete grid must tick, given the chosen option.
    public var requiredCriteria: [Template.Criterion] {
        template.requiredCriteria(situation: situation, option: option)
    }

    /// Required criteria still without a level.
    public var missing: [String] {
        let levels = self.levels
        return requiredCriteria.map(\.id).filter { levels[$0] == nil }
    }

    /// Criteria holding a level although the chosen option excludes them (written by another replica):
    /// shown as out of scope and excluded from the signed content.
    public var outOfScope: [String] {
        let levels = self.levels
        return template.outOfScopeCriteria(situation: situation, option: option).map(\.id).filter { levels[$0] != nil }
    }

    /// Fields whose heads disagree.
    public var conflicts: [FieldState] {
        fields.values.filter(\.isConflict).sorted { $0.key < $1.key }
    }

    /// Criteria whose pre-filled level no jury member has confirmed yet.
    public var unconfirmedPrefills: [String] {
        fields.compactMap { field, state in
            guard !state.isTombstone, let (kind, criterion) = GridField.criterion(of: field), kind == "prefill" else { return nil }
            return criterion
        }.sorted()
    }

    // MARK: - Signed content

    /// The fields a signature covers: option, the levels of the required criteria, appreciations A and B,
    /// note. Nothing else (not comments, other signatures or harmonisation).
    public var signedFields: [String] {
        var result = requiredCriteria.map { GridField.level($0.id) }
        result += [GridField.option, GridField.appreciationA, GridField.appreciationB, GridField.note]
        return result
    }

    /// The canonical signed content.
    public var signedContent: JSONValue {
        let levels = self.levels
        var levelObject: [String: JSONValue] = [:]
        for criterion in requiredCriteria {
            levelObject[criterion.id] = levels[criterion.id].map { .string($0) } ?? .null
        }
        return .object([
            "grid": .string(id.entity),
            "option": option.map { .string($0) } ?? .null,
            "levels": .object(levelObject),
            "appreciationA": value(GridField.appreciationA) ?? .null,
            "appreciationB": value(GridField.appreciationB) ?? .null,
            "note": note.map { .int(Int64($0)) } ?? .null,
        ])
    }

    public var signedContentHash: String { signedContent.sha256Hex }

    /// Why the grid cannot be signed now, in French; empty when it can.
    public var signingBlockers: [String] {
        var reasons: [String] = []
        if !isFinal {
            reasons.append("seule la grille finale se signe (celle-ci est une grille de situation \(situation.id))")
            return reasons
        }
        if let status = value(GridField.status)?.stringValue, status == "absent" || status == "deleted" {
            reasons.append(status == "absent" ? "le candidat est noté absent" : "la grille est supprimée")
        }
        if let conformity = context.conformity, conformity != .conforming {
            reasons.append(conformity == .absent ? "le candidat est absent (AB)" : "le candidat n'est pas évalué : \(conformity.label)")
        }
        if !template.optionBlocks(in: situation).isEmpty, option == nil {
            reasons.append("l'option de la situation B n'est pas choisie (grid field GRILLE option …)")
        }
        let missing = self.missing
        if !missing.isEmpty {
            reasons.append("critères non renseignés : \(missing.joined(separator: ", "))")
        }
        if template.note != nil, note == nil {
            reasons.append("la note sur 20 manque")
        }
        let conflicted = conflicts.map(\.key.field).filter { GridField.signer(of: $0) == nil }
        if !conflicted.isEmpty {
            reasons.append("conflit ouvert sur : \(conflicted.joined(separator: ", ")) (saisissez à nouveau la valeur retenue)")
        }
        let prefills = unconfirmedPrefills
        if !prefills.isEmpty {
            reasons.append("valeurs pré-remplies à confirmer : \(prefills.joined(separator: ", "))")
        }
        return reasons
    }

    // MARK: - Signatures

    public struct Signature: Sendable, Hashable {
        public let evaluator: String
        public let content: String
        public let name: String?
        public let witness: String?
        public let valid: Bool
        public let state: FieldState
    }

    public var signatures: [Signature] {
        let current = signedContentHash
        let blockers = signedFieldsBlocked
        return fields.compactMap { field, state -> Signature? in
            guard let evaluator = GridField.signer(of: field), !state.isTombstone,
                  let content = state.value["content"]?.stringValue else { return nil }
            return Signature(evaluator: evaluator, content: content, name: state.value["name"]?.stringValue,
                             witness: state.value["witness"]?.stringValue,
                             valid: content == current && !blockers && !state.isConflict, state: state)
        }.sorted { $0.evaluator < $1.evaluator }
    }

    /// True when an open conflict on the signed content or an unconfirmed pre-fill invalidates signatures.
    private var signedFieldsBlocked: Bool {
        let signed = Set(signedFields)
        return conflicts.contains { signed.contains($0.key.field) } || !unconfirmedPrefills.isEmpty
    }

    // MARK: - Status

    /// Commission members without a valid signature yet.
    public var unsignedMembers: [String] {
        let valid = Set(signatures.filter(\.valid).map(\.evaluator))
        return context.members.filter { !valid.contains($0) }
    }

    /// `nv` (non-conforming candidate), `absent`, `deleted`, `to_resign` (a signature no longer matches),
    /// `complete` (every member's signature is valid), `signed` (valid signatures, some members still to
    /// sign), `ready_to_sign`, `in_progress`; for interview and simulation grids `filled` or `in_progress`.
    public var status: String {
        if let conformity = context.conformity {
            if conformity.isNonConforming { return "nv" }
            if conformity == .absent { return "absent" }
        }
        if let status = value(GridField.status)?.stringValue, status == "absent" || status == "deleted" {
            return status
        }
        let signatures = self.signatures
        if !signatures.isEmpty {
            if !signatures.allSatisfy(\.valid) { return "to_resign" }
            return !context.members.isEmpty && unsignedMembers.isEmpty ? "complete" : "signed"
        }
        if isFinal {
            return signingBlockers.isEmpty ? "ready_to_sign" : "in_progress"
        }
        return missing.isEmpty ? "filled" : "in_progress"
    }

    public static func statusLabel(_ status: String) -> String {
        switch status {
        case "nv": "non conforme (NV)"
        case "absent": "absent (AB)"
        case "deleted": "supprimée"
        case "to_resign": "à re-signer"
        case "complete": "complète (toutes les signatures sont valides)"
        case "signed": "signée, en attente d'autres signatures"
        case "ready_to_sign": "prête à signer"
        case "filled": "renseignée"
        default: "en cours"
        }
    }
}

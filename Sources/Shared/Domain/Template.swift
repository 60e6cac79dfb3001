/// An official evaluation grid (BTS NDRC E4/E6/EF2, Bac pro MCV E2…), loaded from a JSON file
/// of `Resources/templates/` and checked at load (`Template+Validation.swift`).
///
/// The labels are the official wording of `shared/reference/GRIDS.md` (or the seed it points
/// to), kept verbatim. The JSON has these keys (an optional key may be absent or `null`):
///
/// ```
/// {
///   "id": "ndrc-e4-ccf",            stable id used by events, the CLI and exports
///   "version": "2025",              session of the official text
///   "title": "…", "epreuve": "E4", "diploma": "BTS NDRC", "form": "Annexe V-4 …",
///   "confidentiality": "…" | null,  mention printed on the grid, null when the grid may be shown
///   "scale": [{"code": "TI", "label": "Très insuffisant", "name": "Subit" | null (optional)}],
///   "note": {"max": 20, "step": 0.5} | null,     null: the grid gives no note
///   "blocks": [{
///     "id": "prospection",          no "."; criterion ids are "<block id>.<n>", n = 1…k in order
///     "label": "…", "situationLabel": "Situation A" (optional),
///     "criteria": [{"id": "prospection.1", "label": "…", "indicators": "…" (optional, one string)}],
///     "evaluation": [{"label": "…", "indicators": "…" (optional)}]   optional, block-level
///   }],                                                                  criteria (MCV)
///   "situations": [{
///     "id": "A",                    no "-": "A-<anything>" names one instance of a multiple situation
///     "label": "…", "multiple": true,
///     "blocks": ["prospection"],    fixed blocks, always required
///     "alternatives": [["negociation", "evenement"]],   exactly one block per group, chosen by
///                                                        the grid's `option` field (block id)
///     "fields": ["date", "option", …],                  see `Template.Field`
///     "note": true                  the situation gives a note (then "note" is among its fields)
///   }]
/// }
/// ```
///
/// Unknown keys are rejected, so a misspelt optional key cannot silently drop official text.
/// Lists keep the order of the paper grid; every lookup below answers in that *template order*.
public struct Template: Codable, Sendable, Hashable {
    public let id: String
    public let version: String
    public let title: String
    public let epreuve: String
    public let diploma: String
    public let form: String
    public let confidentiality: String?
    public let scale: [Level]
    public let note: NoteScale?
    public let blocks: [Block]
    public let situations: [Situation]

    public init(
        id: String, version: String, title: String, epreuve: String, diploma: String, form: String,
        confidentiality: String?, scale: [Level], note: NoteScale?, blocks: [Block], situations: [Situation]
    ) {
        self.id = id
        self.version = version
        self.title = title
        self.epreuve = epreuve
        self.diploma = diploma
        self.form = form
        self.confidentiality = confidentiality
        self.scale = scale
        self.note = note
        self.blocks = blocks
        self.situations = situations
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, version, title, epreuve, diploma, form, confidentiality, scale, note, blocks, situations
    }

    /// One column of the level scale (`TI`, `I`, `S`, `TS`); EF2 also names its levels.
    public struct Level: Codable, Sendable, Hashable {
        public let code: String
        public let label: String
        public let name: String?

        public init(code: String, label: String, name: String? = nil) {
            self.code = code
            self.label = label
            self.name = name
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case code, label, name }
    }

    /// The note a situation proposes, on `0…max` by `step`. Notes travel as integer half-points
    /// (DESIGN.md, "Notes are integers in half-points"), so max and step are multiples of 0.5.
    public struct NoteScale: Codable, Sendable, Hashable {
        public let max: Double
        public let step: Double

        public init(max: Double, step: Double) {
            self.max = max
            self.step = step
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case max, step }

        public var maxHalfPoints: Int { Int((max * 2).rounded()) }
        public var stepHalfPoints: Int { Int((step * 2).rounded()) }

        /// Whether a note given in half-points (29 for 14,5/20) lies on this scale.
        public func isValid(halfPoints: Int) -> Bool {
            let step = stepHalfPoints
            return step > 0 && (0...maxHalfPoints).contains(halfPoints) && halfPoints % step == 0
        }
    }

    /// A group of criteria: a competence block (NDRC) or a meta-competence (MCV).
    public struct Block: Codable, Sendable, Hashable {
        public let id: String
        public let label: String
        /// The situation the paper grid names beside the block, e.g. "Situation B, option 1".
        public let situationLabel: String?
        public let criteria: [Criterion]
        /// Evaluation criteria and indicators stated for the whole block (MCV); empty for NDRC,
        /// whose indicators belong to each criterion.
        public let evaluation: [Evaluation]

        public init(id: String, label: String, situationLabel: String? = nil, criteria: [Criterion], evaluation: [Evaluation] = []) {
            self.id = id
            self.label = label
            self.situationLabel = situationLabel
            self.criteria = criteria
            self.evaluation = evaluation
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case id, label, situationLabel, criteria, evaluation }
    }

    /// One line of the grid, ticked at one level. `indicators` is the official text, one string.
    public struct Criterion: Codable, Sendable, Hashable {
        public let id: String
        public let label: String
        public let indicators: String?

        public init(id: String, label: String, indicators: String? = nil) {
            self.id = id
            self.label = label
            self.indicators = indicators
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case id, label, indicators }
    }

    /// A block-level evaluation criterion with its indicators ("Critères d'évaluation et
    /// indicateurs" of the MCV grid).
    public struct Evaluation: Codable, Sendable, Hashable {
        public let label: String
        public let indicators: String?

        public init(label: String, indicators: String? = nil) {
            self.label = label
            self.indicators = indicators
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case label, indicators }
    }

    /// A grid a candidate gets for this template: `final`, `B`, or one `A-<id>` per interview
    /// when `A` is `multiple` (DESIGN.md, "Entities").
    public struct Situation: Codable, Sendable, Hashable {
        public let id: String
        public let label: String
        public let multiple: Bool
        /// Blocks always required, by id.
        public let blocks: [String]
        /// Groups of block ids of which the `option` field chooses exactly one per group.
        public let alternatives: [[String]]
        /// The grid fields, besides levels and comments, that this situation may hold.
        public let fields: [Field]
        /// Whether the situation proposes a note (JSON key `note`).
        public let givesNote: Bool

        public init(
            id: String, label: String, multiple: Bool = false, blocks: [String], alternatives: [[String]] = [],
            fields: [Field], givesNote: Bool
        ) {
            self.id = id
            self.label = label
            self.multiple = multiple
            self.blocks = blocks
            self.alternatives = alternatives
            self.fields = fields
            self.givesNote = givesNote
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case id, label, multiple, blocks, alternatives, fields
            case givesNote = "note"
        }
    }

    /// The ids of the grid fields a situation may allow (DESIGN.md, "Fields").
    public enum Field: String, Codable, Sendable, Hashable, CaseIterable {
        case date
        case recommendations
        case option
        case fdap
        case subject
        case appreciationA = "appreciation/A"
        case appreciationB = "appreciation/B"
        case note
    }
}

// MARK: - Lookups

extension Template {
    /// Every criterion, in template order.
    public var allCriteria: [Criterion] { blocks.flatMap(\.criteria) }

    public func criterion(_ id: String) -> Criterion? {
        for block in blocks {
            if let criterion = block.criteria.first(where: { $0.id == id }) { return criterion }
        }
        return nil
    }

    public func block(_ id: String) -> Block? {
        blocks.first { $0.id == id }
    }

    public func block(containing criterionID: String) -> Block? {
        blocks.first { $0.criteria.contains { $0.id == criterionID } }
    }

    public func level(_ code: String) -> Level? {
        scale.first { $0.code == code }
    }

    /// The situation named by a grid's situation id: an exact id, or `A-<anything>` (non-empty
    /// suffix) for a `multiple` situation `A`.
    public func situation(_ id: String) -> Situation? {
        if let exact = situations.first(where: { $0.id == id }) { return exact }
        return situations.first { situation in
            situation.multiple && id.count > situation.id.count + 1 && id.hasPrefix(situation.id + "-")
        }
    }

    /// Every block id the situation's `option` may take, in template order.
    public func optionBlocks(in situation: Situation) -> [String] {
        let ids = Set(situation.alternatives.joined())
        return blocks.map(\.id).filter(ids.contains)
    }

    /// The criteria a complete grid must tick: the fixed blocks plus the block the option
    /// chooses, in template order (E4 final + `evenement`: prospection, evenement, information).
    /// An option that is nil or not one of `optionBlocks(in:)` adds nothing.
    public func requiredCriteria(situation: Situation, option: String?) -> [Criterion] {
        var ids = Set(situation.blocks)
        if let chosen = chosenOption(option, in: situation) { ids.insert(chosen) }
        return criteria(inBlocks: ids)
    }

    /// The criteria that must stay empty: those of the alternatives the option did not choose.
    /// Empty while no valid option is chosen, since nothing is excluded yet.
    public func outOfScopeCriteria(situation: Situation, option: String?) -> [Criterion] {
        guard let chosen = chosenOption(option, in: situation) else { return [] }
        var ids = Set(situation.alternatives.joined())
        ids.remove(chosen)
        return criteria(inBlocks: ids)
    }

    /// Every criterion the situation can ever use, whatever the option, in template order.
    public func criteria(for situation: Situation) -> [Criterion] {
        criteria(inBlocks: Set(situation.blocks).union(situation.alternatives.joined()))
    }

    private func chosenOption(_ option: String?, in situation: Situation) -> String? {
        guard let option, situation.alternatives.contains(where: { $0.contains(option) }) else { return nil }
        return option
    }

    private func criteria(inBlocks ids: Set<String>) -> [Criterion] {
        blocks.filter { ids.contains($0.id) }.flatMap(\.criteria)
    }
}

/// The self-naming id of a grid: `grid/<template>/<session>/<candidate>/<situation>`, with situation
/// `final`, `B`, or `A-<random id>` for each "au fil de l'eau" interview. Two jury members opening the
/// final grid of one candidate offline thus write to the same entity. See DESIGN.md, "Data".
public struct GridID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let template: String
    public let session: String
    public let candidate: String
    public let situation: String

    public init(template: String, session: String, candidate: String, situation: String) {
        self.template = template
        self.session = session
        self.candidate = candidate
        self.situation = situation
    }

    /// Parses an entity name; nil when it is not a well-formed grid id.
    public init?(entity: String) {
        let parts = GridID.slashParts(entity)
        guard parts.count == 5, parts[0] == "grid", parts[1...].allSatisfy(GridID.isSafeComponent) else {
            return nil
        }
        self.init(template: parts[1], session: parts[2], candidate: parts[3], situation: parts[4])
    }

    public var entity: String { "grid/\(template)/\(session)/\(candidate)/\(situation)" }
    public var description: String { entity }

    /// The template situation this grid belongs to: `A` for `A-…` interview grids.
    public var situationKind: String {
        situation.hasPrefix("A-") ? "A" : situation
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.entity.utf8.lexicographicallyPrecedes(rhs.entity.utf8)
    }

    /// `text` cut at each `/`, empty parts kept. An ASCII text (every valid id) is cut on its bytes, which
    /// is much faster than cutting on characters and gives the same parts; any other text is cut on
    /// characters as before.
    public static func slashParts(_ text: String) -> [String] {
        let utf8 = text.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        }
        return utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { String(Substring($0)) }
    }

    /// Letters, digits, `-`, `_` and `.`, 1 to 64 bytes: what roster ids and situations may contain.
    public static func isSafeComponent(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
    }
}

/// Names of the fields of a grid entity (DESIGN.md, "Fields").
public enum GridField {
    public static let option = "option"
    public static let appreciationA = "appreciation/A"
    public static let appreciationB = "appreciation/B"
    public static let recommendations = "recommendations"
    public static let date = "date"
    public static let note = "note"
    public static let fdap = "fdap"
    public static let subject = "subject"
    public static let status = "status"
    public static let harmonisation = "harmonisation"

    public static func level(_ criterion: String) -> String { "level/\(criterion)" }
    public static func comment(_ criterion: String) -> String { "comment/\(criterion)" }
    public static func prefill(_ criterion: String) -> String { "prefill/\(criterion)" }
    public static func signature(_ evaluator: String) -> String { "signature/\(evaluator)" }

    /// The criterion of a `level/…`, `comment/…` or `prefill/…` field.
    public static func criterion(of field: String) -> (kind: String, criterion: String)? {
        for kind in ["level", "comment", "prefill"] where field.hasPrefix(kind + "/") {
            return (kind, String(field.dropFirst(kind.count + 1)))
        }
        return nil
    }

    public static func signer(of field: String) -> String? {
        field.hasPrefix("signature/") ? String(field.dropFirst("signature/".count)) : nil
    }
}

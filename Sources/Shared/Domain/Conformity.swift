/// The conformity check of annexe V-8 (« Contrôle de conformité »), done before any evaluation, and the
/// absence of a candidate. Stored in `conformity/<session>/<candidate>/<template>`, field `status`.
/// A candidate who is not conforming is not evaluated: mention NV (non valide).
public enum Conformity: String, Sendable, CaseIterable {
    case conforming
    /// Absence de dépôt du dossier à la date fixée.
    case noDossier = "no_dossier"
    /// Dépôt du dossier après la date fixée.
    case lateDossier = "late_dossier"
    /// Durée de stage ou d'expérience professionnelle inférieure à celle requise (16 semaines en NDRC).
    case shortInternship = "short_internship"
    /// Absence d'attestation de stage ou de certificat de travail.
    case noAttestation = "no_attestation"
    /// Documents non visés ou non signés par les personnes habilitées.
    case unsignedDocuments = "unsigned_documents"
    /// Absent le jour de l'épreuve: mention AB.
    case absent

    public static let field = "status"

    public static func entity(session: String, candidate: String, template: String) -> String {
        "conformity/\(session)/\(candidate)/\(template)"
    }

    /// The five official reasons of non-conformity.
    public var isNonConforming: Bool { self != .conforming && self != .absent }

    /// French wording, as on the V-8 form.
    public var label: String {
        switch self {
        case .conforming: "conforme"
        case .noDossier: "non conforme (NV) : absence de dépôt du dossier à la date fixée"
        case .lateDossier: "non conforme (NV) : dépôt du dossier après la date fixée"
        case .shortInternship: "non conforme (NV) : durée de stage ou d'expérience professionnelle inférieure à la durée requise"
        case .noAttestation: "non conforme (NV) : absence d'attestation de stage ou de certificat de travail"
        case .unsignedDocuments: "non conforme (NV) : documents non signés par les personnes habilitées"
        case .absent: "absent (AB)"
        }
    }

    /// The short mention reports show: NV, AB or nothing.
    public var mention: String? {
        switch self {
        case .conforming: nil
        case .absent: "AB"
        default: "NV"
        }
    }
}

/// The states of an exam session (`session/<year>`, field `state`, written by the server only):
/// open → « délibérée » (frozen: later writes go to the quarantine) → « publiée » (the fiche V-5 may be
/// given to a candidate who asks).
public enum SessionState: String, Sendable, CaseIterable {
    case open
    case deliberated
    case published

    public static func entity(_ session: String) -> String { "session/\(session)" }
    public static let field = "state"

    public var label: String {
        switch self {
        case .open: "ouverte"
        case .deliberated: "délibérée"
        case .published: "publiée"
        }
    }
}

/// A coordinator's harmonisation of a final grid's note (field `harmonisation`): note in half-points,
/// mandatory reason, coordinator id. The jury's proposal stays; the retained note is this one.
public struct Harmonisation: Sendable, Equatable {
    public let note: Int
    public let reason: String
    public let by: String

    public init(note: Int, reason: String, by: String) {
        self.note = note
        self.reason = reason
        self.by = by
    }

    public init?(_ value: JSONValue) {
        guard let note = value["note"]?.intValue, let reason = value["reason"]?.stringValue, let by = value["by"]?.stringValue else { return nil }
        self.init(note: Int(note), reason: reason, by: by)
    }

    public var json: JSONValue { ["note": .int(Int64(note)), "reason": .string(reason), "by": .string(by)] }
}

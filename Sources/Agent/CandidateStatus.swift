import Shared

/// Where a candidate stands for one registration (template and session), as `candidate show` reports it:
/// « à évaluer » (no grid yet), « en cours », « à signer » (final grid ready to sign, or signed but not by
/// every member with a valid signature), « complet » (final grid complete), « NV » (non-conforming,
/// annexe V-8), « AB » (absent).
enum CandidateStatus: String, CaseIterable {
    case toEvaluate = "to_evaluate"
    case inProgress = "in_progress"
    case toSign = "to_sign"
    case complete
    case nv
    case absent

    var label: String {
        switch self {
        case .toEvaluate: "à évaluer"
        case .inProgress: "en cours"
        case .toSign: "à signer"
        case .complete: "complet"
        case .nv: "NV"
        case .absent: "AB"
        }
    }

    /// The status of one registration from its conformity and its grids (deleted grids do not count).
    static func of(conformity: Conformity?, grids: [GridView]) -> CandidateStatus {
        if let conformity {
            if conformity.isNonConforming { return .nv }
            if conformity == .absent { return .absent }
        }
        let live = grids.filter { $0.value(GridField.status)?.stringValue != "deleted" }
        if let final = live.first(where: \.isFinal) {
            switch final.status {
            case "complete": return .complete
            case "ready_to_sign", "signed", "to_resign": return .toSign
            case "absent": return .absent
            case "nv": return .nv
            default: return .inProgress
            }
        }
        return live.isEmpty ? .toEvaluate : .inProgress
    }

    /// One status for a candidate with several registrations: the common one when they agree, else the
    /// least advanced, with « à évaluer » beside started work counting as « en cours », and NV and AB as
    /// settled (a mix of complete, NV and AB registrations is « complet »).
    static func combined(_ statuses: [CandidateStatus]) -> CandidateStatus {
        guard let first = statuses.first else { return .toEvaluate }
        if statuses.allSatisfy({ $0 == first }) { return first }
        let rank: (CandidateStatus) -> Int = { status in
            switch status {
            case .toEvaluate: 0
            case .inProgress: 1
            case .toSign: 2
            case .complete, .nv, .absent: 3
            }
        }
        let least = statuses.min { rank($0) < rank($1) }!
        switch rank(least) {
        case 0: return .inProgress   // beside a registration that started
        case 3: return .complete     // every registration settled, not all the same way
        default: return least
        }
    }
}

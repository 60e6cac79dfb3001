/// Who evaluates whom in one academy: establishments, evaluators, commissions, candidates and
/// the candidates' registrations to commissions.
///
/// The academy imports it from five CSV files with ``load(directory:templateIDs:)``, which
/// checks every reference; the server then derives from it who may write which grid (the
/// commission of a candidate's registration for a template and session). Arrays keep the
/// order of the files, so importing the same files twice gives an equal roster.
///
/// The memberwise initialiser does not check anything; build rosters from untrusted data with
/// ``load(directory:templateIDs:)``. Lookups answer the first entry when an id is repeated.
public struct Roster: Sendable {
    public let establishments: [Establishment]
    public let evaluators: [Evaluator]
    public let commissions: [Commission]
    public let candidates: [Candidate]
    public let registrations: [Registration]

    private let establishmentIndex: [String: Int]
    private let evaluatorIndex: [String: Int]
    private let commissionIndex: [String: Int]
    private let candidateIndex: [String: Int]
    /// Evaluator id → indexes in `commissions` of the commissions they sit on, in file order.
    private let commissionsByMember: [String: [Int]]
    /// Candidate number → indexes in `registrations`, in file order.
    private let registrationsByCandidate: [String: [Int]]
    /// Commission id → indexes in `registrations`, in file order.
    private let registrationsByCommission: [String: [Int]]

    public init(
        establishments: [Establishment],
        evaluators: [Evaluator],
        commissions: [Commission],
        candidates: [Candidate],
        registrations: [Registration]
    ) {
        self.establishments = establishments
        self.evaluators = evaluators
        self.commissions = commissions
        self.candidates = candidates
        self.registrations = registrations
        establishmentIndex = Self.firstIndexes(establishments.map(\.uai))
        evaluatorIndex = Self.firstIndexes(evaluators.map(\.id))
        commissionIndex = Self.firstIndexes(commissions.map(\.id))
        candidateIndex = Self.firstIndexes(candidates.map(\.number))
        var byMember: [String: [Int]] = [:]
        for (index, commission) in commissions.enumerated() {
            for member in Set(commission.members) { byMember[member, default: []].append(index) }
        }
        commissionsByMember = byMember
        var byCandidate: [String: [Int]] = [:]
        var byCommission: [String: [Int]] = [:]
        for (index, registration) in registrations.enumerated() {
            byCandidate[registration.candidate, default: []].append(index)
            byCommission[registration.commission, default: []].append(index)
        }
        registrationsByCandidate = byCandidate
        registrationsByCommission = byCommission
    }

    private static func firstIndexes(_ keys: [String]) -> [String: Int] {
        var indexes: [String: Int] = [:]
        for (index, key) in keys.enumerated() where indexes[key] == nil { indexes[key] = index }
        return indexes
    }

    // MARK: Lookups

    public func establishment(_ uai: String) -> Establishment? {
        establishmentIndex[uai].map { establishments[$0] }
    }

    public func evaluator(_ id: String) -> Evaluator? {
        evaluatorIndex[id].map { evaluators[$0] }
    }

    public func candidate(_ number: String) -> Candidate? {
        candidateIndex[number].map { candidates[$0] }
    }

    public func commission(_ id: String) -> Commission? {
        commissionIndex[id].map { commissions[$0] }
    }

    /// The commissions `evaluatorID` sits on, in file order.
    public func commissions(of evaluatorID: String) -> [Commission] {
        (commissionsByMember[evaluatorID] ?? []).map { commissions[$0] }
    }

    /// The registrations of the candidate numbered `candidate`, in file order.
    public func registrations(of candidate: String) -> [Registration] {
        (registrationsByCandidate[candidate] ?? []).map { registrations[$0] }
    }

    /// The commission that evaluates `candidate` for `template` in `session`, if registered.
    public func commission(forCandidate candidate: String, template: String, session: String) -> Commission? {
        for registration in registrations(of: candidate) {
            if let commission = commission(registration.commission),
               commission.template == template, commission.session == session {
                return commission
            }
        }
        return nil
    }

    /// The candidates registered to `commissionID`, in the order of the registrations file.
    public func candidates(in commissionID: String) -> [Candidate] {
        (registrationsByCommission[commissionID] ?? []).compactMap { candidate(registrations[$0].candidate) }
    }
}

extension Roster: Hashable {
    /// Two rosters are equal when their five tables are; the indexes derive from them.
    public static func == (lhs: Roster, rhs: Roster) -> Bool {
        lhs.establishments == rhs.establishments
            && lhs.evaluators == rhs.evaluators
            && lhs.commissions == rhs.commissions
            && lhs.candidates == rhs.candidates
            && lhs.registrations == rhs.registrations
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(establishments)
        hasher.combine(evaluators)
        hasher.combine(commissions)
        hasher.combine(candidates)
        hasher.combine(registrations)
    }
}

import Foundation
import TestSupport
@testable import Shared

/// The roster the coordinators mean the academy to have: a slice of the demo roster (two E4 commissions,
/// one per establishment, for two sessions) that the simulation changes the way a coordinator would,
/// then imports as a `Roster` value (`ServerStore.importRoster`).
struct SimRoster {
    static let template = "ndrc-e4-ccf"
    static let sessions = ["2026", "2027"]
    /// The two establishments whose E4 commissions the run uses.
    static let establishments = ["0691234A", "0691235B"]
    /// Evaluators who may be enrolled on a laptop: the members of the two E4 commissions, a teacher who
    /// joins later, and an establishment coordinator (who sees every grid of the establishment).
    static let enrollable = ["ev-0101", "ev-0105", "ev-0102", "ev-0106", "ev-0103", "ev-0104"]
    /// Teachers and professionals that roster changes add to or remove from commissions.
    static let jurors = ["ev-0101", "ev-0102", "ev-0103", "ev-0105", "ev-0106", "ev-0108"]
    static let coordinator = "ev-0104"
    static let academyCoordinator = "ev-0112"

    private(set) var establishments: [Roster.Establishment]
    private(set) var evaluators: [Roster.Evaluator]
    private(set) var commissions: [Roster.Commission]
    private(set) var candidates: [Roster.Candidate]
    private(set) var registrations: [Roster.Registration]

    /// The demo roster, loaded once per process.
    nonisolated(unsafe) private static var demoCache: Roster?
    private static let demoLock = NSLock()

    static func demo() throws -> Roster {
        demoLock.lock()
        defer { demoLock.unlock() }
        if let demoCache { return demoCache }
        let catalog = try TemplateCatalog.bundled()
        let roster = try Roster.load(directory: URL(fileURLWithPath: Repository.demoRoster), templateIDs: Set(catalog.ids))
        demoCache = roster
        return roster
    }

    init() throws {
        let demo = try SimRoster.demo()
        establishments = demo.establishments
        evaluators = demo.evaluators
        // Four candidates per establishment.
        let numbers = ["02614001", "02614002", "02614003", "02614004", "02614013", "02614014", "02614015", "02614016"]
        candidates = numbers.compactMap { demo.candidate($0) }
        commissions = []
        registrations = []
        for session in SimRoster.sessions {
            for (index, uai) in SimRoster.establishments.enumerated() {
                let members = demo.commissions.first { $0.establishment == uai && $0.template == SimRoster.template }?.members ?? []
                commissions.append(Roster.Commission(id: "cm-e4-0\(index + 1)-\(session)", establishment: uai,
                                                     template: SimRoster.template, session: session, members: members))
            }
        }
        for candidate in candidates {
            for commission in commissions where commission.establishment == candidate.establishment {
                registrations.append(Roster.Registration(candidate: candidate.number, commission: commission.id))
            }
        }
    }

    var roster: Roster {
        Roster(establishments: establishments, evaluators: evaluators, commissions: commissions, candidates: candidates,
               registrations: registrations)
    }

    /// The commission that evaluates `candidate` in `session`.
    func commission(of candidate: String, session: String) -> Roster.Commission? {
        roster.commission(forCandidate: candidate, template: SimRoster.template, session: session)
    }

    // MARK: - Changes a coordinator makes

    /// A candidate changes establishment: the registrations of every session move to the other
    /// establishment's commission (the roster rule: a commission evaluates its own establishment's candidates).
    mutating func moveCandidate(rng: SimRandom) -> String {
        let index = rng.int(0...(candidates.count - 1))
        var candidate = candidates[index]
        let target = SimRoster.establishments.first { $0 != candidate.establishment }!
        candidate.establishment = target
        candidates[index] = candidate
        registrations.removeAll { $0.candidate == candidate.number }
        for commission in commissions where commission.establishment == target {
            registrations.append(Roster.Registration(candidate: candidate.number, commission: commission.id))
        }
        return "candidat \(candidate.number) → \(target)"
    }

    /// A juror joins a commission (of one session). Nil when every juror already sits on it.
    mutating func addMember(rng: SimRandom) -> String? {
        let index = rng.int(0...(commissions.count - 1))
        let absent = SimRoster.jurors.filter { !commissions[index].members.contains($0) }
        guard !absent.isEmpty else { return nil }
        let juror = rng.pick(absent)
        commissions[index].members.append(juror)
        return "\(juror) rejoint \(commissions[index].id)"
    }

    /// A member leaves a commission (which keeps at least one). Nil when none can leave.
    mutating func removeMember(rng: SimRandom) -> String? {
        let index = rng.int(0...(commissions.count - 1))
        guard commissions[index].members.count > 1 else { return nil }
        let member = rng.pick(commissions[index].members)
        commissions[index].members.removeAll { $0 == member }
        return "\(member) quitte \(commissions[index].id)"
    }

    /// True when `other` describes the same roster (order aside).
    func matches(_ other: Roster) -> Bool {
        RosterEntities.fields(of: roster) == RosterEntities.fields(of: other)
    }
}

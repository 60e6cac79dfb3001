import Foundation
import Shared

/// The academy view of one session: what the harmonisation meeting asks, per establishment and for the
/// whole academy (docs/REPORTS.md). Built by `ReportBuilder` from the `state` table; printed as French
/// text, JSON (`/v1/reports/…`, `report --json`) or French CSV (`report NAME --csv`).
///
/// Everything here is an aid: the official rule is that levels are not weighted and the jury decides the
/// note, so nothing in a report is ever a computed note.
struct AcademyReport: Sendable {
    let academy: String
    let timezone: String
    let session: String
    /// The establishment the report is limited to (a coordinator's own), nil for the whole academy.
    let establishment: String?
    let generatedAt: Int64
    let epreuves: [Epreuve]
    let devices: [DeviceLine]

    /// The parts a report may be limited to, as named by `report NAME` and `/v1/reports/NAME`.
    enum Part: String, CaseIterable, Sendable {
        case academy, candidates, criteria, notes, profiles, devices
    }

    /// One épreuve (template) of the session.
    struct Epreuve: Sendable {
        let template: Template
        /// Establishments in roster order (only the filtered one when the report is limited).
        let establishments: [Roster.Establishment]
        let candidates: CandidateTable
        let criteria: [CriterionLine]
        let notes: NoteTable
        let profiles: ProfileTable
    }

    // MARK: Candidates

    /// Candidates of one establishment (or of the academy) for one épreuve.
    struct CandidateCounts: Sendable, Equatable {
        /// Registered to a commission of the épreuve for the session.
        var enrolled = 0
        /// Conformity recorded as conforming (annexe V-8).
        var conforming = 0
        /// Non-conforming: mention NV.
        var nv = 0
        /// Absent: conformity `absent` or final grid marked absent (mention AB).
        var absent = 0
        /// No conformity recorded yet.
        var unrecorded = 0
        /// At least one grid (interview, simulation or final) exists.
        var started = 0
        /// The final grid holds a valid signature of every commission member.
        var complete = 0
        /// Signed, but a signed value changed since: « à re-signer ».
        var toResign = 0

        /// Evaluated candidates (neither NV nor AB) whose final grid is not complete yet.
        var missing: Int { max(0, enrolled - nv - absent - complete) }

        static func + (a: Self, b: Self) -> Self {
            Self(enrolled: a.enrolled + b.enrolled, conforming: a.conforming + b.conforming, nv: a.nv + b.nv, absent: a.absent + b.absent,
                 unrecorded: a.unrecorded + b.unrecorded, started: a.started + b.started, complete: a.complete + b.complete,
                 toResign: a.toResign + b.toResign)
        }
    }

    struct CandidateTable: Sendable {
        /// UAI → counts, for every listed establishment (zero counts included).
        let byEstablishment: [String: CandidateCounts]
        /// The academy's totals (every establishment, even when the report is limited to one).
        let academy: CandidateCounts
    }

    // MARK: Criteria

    /// Level counts of one criterion over the evaluated final grids.
    struct LevelCounts: Sendable, Equatable {
        /// Level code → count, for the template's scale.
        var counts: [String: Int] = [:]
        var total: Int { counts.values.reduce(0, +) }
        func percent(_ code: String) -> Double { total == 0 ? 0 : Double(counts[code] ?? 0) * 100 / Double(total) }
    }

    struct CriterionLine: Sendable {
        let criterion: Template.Criterion
        let block: Template.Block
        let academy: LevelCounts
        /// UAI → counts.
        let byEstablishment: [String: LevelCounts]
    }

    // MARK: Notes

    struct NoteSummary: Sendable, Equatable {
        /// The jury's proposed notes.
        var proposed = NoteDistribution()
        /// The retained notes: harmonised when a coordinator harmonised, else the proposal.
        var retained = NoteDistribution()
        /// Grids whose note was harmonised.
        var harmonised = 0
        /// Sum over harmonised grids of (harmonised − proposed), in half-points.
        var harmonisedShift = 0
        /// Harmonised grids that had a proposal (the shift is averaged over these).
        var harmonisedWithProposal = 0
    }

    struct NoteTable: Sendable {
        let academy: NoteSummary
        let byEstablishment: [String: NoteSummary]
    }

    // MARK: Profiles

    /// A final grid's profile: how many required criteria sit at each level, in scale order.
    struct Profile: Sendable, Hashable, Comparable {
        let counts: [Int]

        /// Best first: more at the top level, then the next…
        static func < (a: Self, b: Self) -> Bool {
            for (x, y) in zip(a.counts.reversed(), b.counts.reversed()) where x != y { return x > y }
            return false
        }

        /// Profiles one criterion away by one level: a count moves to the level just above or below.
        var neighbours: [Profile] {
            var result: [Profile] = []
            for from in counts.indices where counts[from] > 0 {
                for to in [from - 1, from + 1] where counts.indices.contains(to) {
                    var next = counts
                    next[from] -= 1
                    next[to] += 1
                    result.append(Profile(counts: next))
                }
            }
            return result
        }
    }

    struct ProfileLine: Sendable {
        let profile: Profile
        let notes: NoteDistribution
    }

    /// A grid whose proposed note is far from the notes given across the academy for the same or
    /// neighbouring profiles (`ProfileTable.rule`).
    struct FlaggedGrid: Sendable {
        let grid: String
        let candidate: String
        let establishment: String
        let profile: Profile
        let note: Int
        let reference: NoteDistribution
    }

    struct ProfileTable: Sendable {
        /// Codes of the scale, in order: the columns of a profile.
        let codes: [String]
        /// Every profile seen across the academy, best first.
        let lines: [ProfileLine]
        /// Flagged grids (of the report's establishment when limited), farthest first.
        let flagged: [FlaggedGrid]

        /// The flag rule, in points and grids.
        static let thresholdHalfPoints = 6
        static let minimumReference = 5
        static let rule = """
            Aide à l'harmonisation, jamais une note calculée : les niveaux ne sont pas pondérés et le jury décide. \
            Une grille finale complète est signalée quand sa note proposée s'écarte d'au moins 3 points de la médiane \
            des notes proposées, dans toute l'académie, pour les autres grilles de même profil ou d'un profil voisin \
            (un seul critère d'un niveau plus haut ou plus bas), s'il y a au moins 5 telles grilles.
            """
    }

    // MARK: Devices

    struct DeviceLine: Sendable {
        let device: Device
        let evaluator: Roster.Evaluator?
        let conflicts: Int
        let rejected: Int
        let quarantined: Int
    }
}

/// Notes counted by half-point (0…40 on a /20 scale): every statistic is exact from this table.
struct NoteDistribution: Sendable, Equatable {
    /// Half-points → number of grids.
    private(set) var counts: [Int: Int] = [:]

    init() {}

    init(_ notes: some Sequence<Int>) {
        for note in notes { add(note) }
    }

    mutating func add(_ halfPoints: Int, count: Int = 1) {
        guard count > 0 else { return }
        counts[halfPoints, default: 0] += count
    }

    mutating func remove(_ halfPoints: Int) {
        guard let count = counts[halfPoints] else { return }
        counts[halfPoints] = count > 1 ? count - 1 : nil
    }

    static func + (a: Self, b: Self) -> Self {
        var sum = a
        for (note, count) in b.counts { sum.add(note, count: count) }
        return sum
    }

    var n: Int { counts.values.reduce(0, +) }
    var min: Int? { counts.keys.min() }
    var max: Int? { counts.keys.max() }

    /// Mean in points.
    var mean: Double? {
        guard n > 0 else { return nil }
        return Double(counts.reduce(0) { $0 + $1.key * $1.value }) / Double(n) / 2
    }

    /// Population standard deviation in points.
    var standardDeviation: Double? {
        guard let mean, n > 0 else { return nil }
        let squares = counts.reduce(0.0) { sum, entry in
            let d = Double(entry.key) / 2 - mean
            return sum + d * d * Double(entry.value)
        }
        return (squares / Double(n)).squareRoot()
    }

    /// Median in points: the middle note, or the mean of the two middle notes.
    var median: Double? {
        let n = self.n
        guard n > 0 else { return nil }
        let sorted = counts.sorted { $0.key < $1.key }
        func nth(_ k: Int) -> Int {   // 0-based
            var seen = 0
            for (note, count) in sorted {
                seen += count
                if k < seen { return note }
            }
            return sorted.last!.key
        }
        return n % 2 == 1 ? Double(nth(n / 2)) / 2 : Double(nth(n / 2 - 1) + nth(n / 2)) / 4
    }

    /// Notes by whole point: index k counts notes in [k, k+1) points; the last index holds the maximum.
    func histogram(maxPoints: Int = 20) -> [Int] {
        var buckets = Array(repeating: 0, count: maxPoints + 1)
        for (note, count) in counts {
            buckets[Swift.min(Swift.max(note / 2, 0), maxPoints)] += count
        }
        return buckets
    }
}

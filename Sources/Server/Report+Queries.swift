import Foundation
import Shared

/// Computes an `AcademyReport` from the server's `state` table: each aggregate is one SQL statement that
/// reads the merged roster, conformity and grid rows once (`json_extract` on `state.value`, `GROUP BY`).
/// Completeness is the one part computed in Swift: a signature is valid only when its hash equals the
/// SHA-256 of the grid's current signed content, which SQL cannot compute, so the final grids holding at
/// least one signature are loaded as `GridView`s (docs/REPORTS.md).
struct ReportBuilder {
    let store: ServerStore

    /// Which épreuves and establishments a report covers.
    struct Scope: Sendable {
        var session: String
        var establishment: String?
        var template: String?
    }

    /// The most recent session of the roster's commissions, for `report` without `--session`.
    static func defaultSession(_ roster: Roster) -> String? {
        roster.commissions.map(\.session).max()
    }

    func build(_ scope: Scope, parts: Set<AcademyReport.Part> = Set(AcademyReport.Part.allCases)) throws -> AcademyReport {
        let roster = store.roster
        if let uai = scope.establishment, roster.establishment(uai) == nil {
            throw ServerError(404, "unknown_establishment", "Établissement inconnu « \(uai) ».")
        }
        let templates = store.catalog.templates.filter { template in
            (scope.template == nil || scope.template == template.id)
                && roster.commissions.contains { $0.template == template.id && $0.session == scope.session }
        }
        if let template = scope.template, store.catalog[template] == nil {
            throw ServerError(404, "unknown_template", "Modèle de grille inconnu « \(template) ».")
        }
        let establishments = roster.establishments.filter { scope.establishment == nil || $0.uai == scope.establishment }
        let wants = { (part: AcademyReport.Part) in parts.contains(.academy) || parts.contains(part) }
        return try store.db.read {
            let epreuves = try templates.map { template in
                let query = EpreuveQuery(db: store.db, template: template, session: scope.session)
                let candidates = wants(.candidates) ? try candidateTable(query, establishments: establishments)
                    : AcademyReport.CandidateTable(byEstablishment: [:], academy: .init())
                return AcademyReport.Epreuve(
                    template: template, establishments: establishments, candidates: candidates,
                    criteria: wants(.criteria) ? try query.criteria(establishments: establishments) : [],
                    notes: wants(.notes) ? try query.notes(establishments: establishments)
                        : AcademyReport.NoteTable(academy: .init(), byEstablishment: [:]),
                    profiles: wants(.profiles) ? try query.profiles(establishment: scope.establishment)
                        : AcademyReport.ProfileTable(codes: template.scale.map(\.code), lines: [], flagged: []))
            }
            return AcademyReport(academy: store.academy, timezone: store.timezone, session: scope.session, establishment: scope.establishment,
                                 generatedAt: store.clock.nowMilliseconds(), epreuves: epreuves,
                                 devices: wants(.devices) ? try deviceLines(session: scope.session, establishment: scope.establishment) : [])
        }
    }

    // MARK: - Candidates

    private func candidateTable(_ query: EpreuveQuery, establishments: [Roster.Establishment]) throws -> AcademyReport.CandidateTable {
        var all = try query.candidateCounts()
        // Completeness needs signature validity: GridView on the final grids that hold a signature.
        for entity in try query.signedFinals() {
            guard let id = GridID(entity: entity), let uai = store.roster.candidate(id.candidate)?.establishment,
                  all[uai] != nil else { continue }
            let status = try GridLoader.view(id, template: query.template, roster: store.roster, in: store.db).status
            if status == "complete" { all[uai]?.complete += 1 }
            if status == "to_resign" { all[uai]?.toResign += 1 }
        }
        let academy = all.values.reduce(AcademyReport.CandidateCounts(), +)
        var listed: [String: AcademyReport.CandidateCounts] = [:]
        for establishment in establishments { listed[establishment.uai] = all[establishment.uai] ?? .init() }
        return AcademyReport.CandidateTable(byEstablishment: listed, academy: academy)
    }

    // MARK: - Devices

    private func deviceLines(session: String, establishment: String?) throws -> [AcademyReport.DeviceLine] {
        let db = store.db
        var rejected: [String: Int] = [:], quarantined: [String: Int] = [:], conflicts: [String: Int] = [:]
        for row in try db.query("SELECT device, count(*) FROM rejections GROUP BY device") { rejected[row.string(0)] = row.int(1) }
        for row in try db.query("SELECT device, count(*) FROM quarantine GROUP BY device") { quarantined[row.string(0)] = row.int(1) }
        // Unresolved conflicts of the session's grids and conformities, counted for each device holding a head.
        for row in try db.query("""
            SELECT e.device, count(DISTINCT s.entity || '|' || s.field)
            FROM state s, json_each(s.heads) h JOIN events e ON e.id = h.value
            WHERE s.conflict = 1
              AND ((s.entity >= 'grid/' AND s.entity < 'grid0' AND s.entity LIKE 'grid/%/' || ?1 || '/%')
                   OR (s.entity >= ('conformity/' || ?1 || '/') AND s.entity < ('conformity/' || ?1 || '0')))
            GROUP BY e.device
            """, session) {
            conflicts[row.string(0)] = row.int(1)
        }
        return try store.devices().compactMap { device in
            let evaluator = store.roster.evaluator(device.evaluator)
            if let establishment, evaluator?.establishment != establishment { return nil }
            return AcademyReport.DeviceLine(device: device, evaluator: evaluator, conflicts: conflicts[device.id] ?? 0,
                                            rejected: rejected[device.id] ?? 0, quarantined: quarantined[device.id] ?? 0)
        }.sorted { ($0.device.evaluator, $0.device.id) < ($1.device.evaluator, $1.device.id) }
    }
}

/// The SQL of one épreuve (template) and session. Every statement starts from the same common table
/// expressions over `state`:
/// - `enrolled`: candidates with a live registration to a commission of this template and session, with
///   their establishment (from the merged roster entities);
/// - `cand`: with their conformity and the `status` field of their final grid;
/// - `finals`: the final grids that count in the statistics — candidate neither NV nor AB (a missing
///   conformity counts as conforming), final grid not marked absent or deleted — with their option.
struct EpreuveQuery {
    let db: Database
    let template: Template
    let session: String

    var gridPrefix: String { "grid/\(template.id)/\(session)/" }
    /// The first string after every entity that starts with `gridPrefix` (`/` + 1 is `0`).
    var gridUpperBound: String { String(gridPrefix.dropLast()) + "0" }

    /// Parameters ?1 template, ?2 session, ?3 grid prefix.
    var baseValues: [SQLValue] { [.text(template.id), .text(session), .text(gridPrefix)] }

    static let common = """
        WITH reg AS (
            SELECT substr(entity, 14, instr(substr(entity, 14), '/') - 1) AS candidate,
                   substr(entity, 14 + instr(substr(entity, 14), '/')) AS commission
            FROM state
            WHERE entity >= 'registration/' AND entity < 'registration0' AND field = 'active' AND value = 'true'
        ),
        enrolled AS (
            SELECT DISTINCT reg.candidate AS candidate, json_extract(ce.value, '$') AS establishment
            FROM reg
            JOIN state ct ON ct.entity = 'commission/' || reg.commission AND ct.field = 'template' AND json_extract(ct.value, '$') = ?1
            JOIN state cs ON cs.entity = 'commission/' || reg.commission AND cs.field = 'session' AND json_extract(cs.value, '$') = ?2
            JOIN state ce ON ce.entity = 'candidate/' || reg.candidate AND ce.field = 'establishment'
        ),
        cand AS (
            SELECT e.candidate, e.establishment, ?3 || e.candidate || '/final' AS final,
                (SELECT json_extract(value, '$') FROM state
                 WHERE entity = 'conformity/' || ?2 || '/' || e.candidate || '/' || ?1 AND field = 'status') AS conformity,
                (SELECT json_extract(value, '$') FROM state WHERE entity = ?3 || e.candidate || '/final' AND field = 'status') AS final_status
            FROM enrolled e
        ),
        finals AS (
            SELECT candidate, establishment, final AS entity,
                (SELECT json_extract(value, '$') FROM state WHERE entity = cand.final AND field = 'option') AS option
            FROM cand
            WHERE coalesce(conformity, 'conforming') = 'conforming' AND coalesce(final_status, '') NOT IN ('absent', 'deleted')
        )
        """

    /// The block of a `level/<block>.<n>` field, and the test that keeps a level in scope: its block is not
    /// an alternative (?4, a JSON array of block ids), or it is the chosen option.
    static let levelBlock = "substr(l.field, 7, instr(l.field, '.') - 7)"
    static let inScope = "(\(levelBlock) NOT IN (SELECT value FROM json_each(?4)) OR \(levelBlock) = f.option)"

    var alternativeBlocks: SQLValue {
        let ids = template.situation("final").map { template.optionBlocks(in: $0) } ?? []
        return .text(JSONValue.array(ids.map { .string($0) }).canonicalString)
    }

    /// Enrolled, conforming, NV, AB, unrecorded and started candidates per establishment.
    func candidateCounts() throws -> [String: AcademyReport.CandidateCounts] {
        var result: [String: AcademyReport.CandidateCounts] = [:]
        try db.forEach(Self.common + """

            SELECT establishment, count(*),
                count(*) FILTER (WHERE conformity = 'conforming'),
                count(*) FILTER (WHERE conformity IS NOT NULL AND conformity NOT IN ('conforming', 'absent')),
                count(*) FILTER (WHERE conformity = 'absent' OR (coalesce(conformity, 'conforming') = 'conforming' AND final_status = 'absent')),
                count(*) FILTER (WHERE conformity IS NULL),
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM state WHERE entity >= ?3 || candidate || '/' AND entity < ?3 || candidate || '0'))
            FROM cand GROUP BY establishment
            """, values: baseValues) { row in
            result[row.string(0)] = AcademyReport.CandidateCounts(enrolled: row.int(1), conforming: row.int(2), nv: row.int(3),
                                                                  absent: row.int(4), unrecorded: row.int(5), started: row.int(6))
        }
        return result
    }

    /// Final grids of the session holding at least one live signature.
    func signedFinals() throws -> [String] {
        try db.query("""
            SELECT DISTINCT entity FROM state
            WHERE entity >= ?1 AND entity < ?2 AND field >= 'signature/' AND field < 'signature0' AND value <> 'null'
            """, gridPrefix, gridUpperBound).map { $0.string(0) }.filter { $0.hasSuffix("/final") }
    }

    /// Level counts per criterion, for the academy and each establishment, over the in-scope levels of the
    /// counted final grids.
    func criteria(establishments: [Roster.Establishment]) throws -> [AcademyReport.CriterionLine] {
        var academy: [String: AcademyReport.LevelCounts] = [:]
        var byEstablishment: [String: [String: AcademyReport.LevelCounts]] = [:]
        try db.forEach(Self.common + """

            SELECT f.establishment, substr(l.field, 7), json_extract(l.value, '$'), count(*)
            FROM finals f JOIN state l ON l.entity = f.entity AND l.field >= 'level/' AND l.field < 'level0'
            WHERE l.value <> 'null' AND \(Self.inScope)
            GROUP BY 1, 2, 3
            """, values: baseValues + [alternativeBlocks]) { row in
            let (uai, criterion, level, count) = (row.string(0), row.string(1), row.string(2), row.int(3))
            academy[criterion, default: .init()].counts[level, default: 0] += count
            byEstablishment[criterion, default: [:]][uai, default: .init()].counts[level, default: 0] += count
        }
        let criteria = template.situation("final").map(template.criteria(for:)) ?? template.allCriteria
        return criteria.map { criterion in
            var listed: [String: AcademyReport.LevelCounts] = [:]
            for establishment in establishments {
                listed[establishment.uai] = byEstablishment[criterion.id]?[establishment.uai] ?? .init()
            }
            return AcademyReport.CriterionLine(criterion: criterion, block: template.block(containing: criterion.id)!,
                                               academy: academy[criterion.id] ?? .init(), byEstablishment: listed)
        }
    }

    /// Proposed, harmonised and retained notes, counted by (establishment, proposal, harmonisation).
    func notes(establishments: [Roster.Establishment]) throws -> AcademyReport.NoteTable {
        var all: [String: AcademyReport.NoteSummary] = [:]
        try db.forEach(Self.common + """

            SELECT f.establishment, json_extract(n.value, '$'), json_extract(h.value, '$.note'), count(*)
            FROM finals f
            LEFT JOIN state n ON n.entity = f.entity AND n.field = 'note'
            LEFT JOIN state h ON h.entity = f.entity AND h.field = 'harmonisation'
            GROUP BY 1, 2, 3
            """, values: baseValues) { row in
            let uai = row.string(0), proposed = row[1].int, harmonised = row[2].int, count = row.int(3)
            guard proposed != nil || harmonised != nil else { return }
            var summary = all[uai] ?? .init()
            if let proposed { summary.proposed.add(proposed, count: count) }
            if let retained = harmonised ?? proposed { summary.retained.add(retained, count: count) }
            if let harmonised {
                summary.harmonised += count
                if let proposed {
                    summary.harmonisedWithProposal += count
                    summary.harmonisedShift += (harmonised - proposed) * count
                }
            }
            all[uai] = summary
        }
        var academy = AcademyReport.NoteSummary()
        for summary in all.values {
            academy.proposed = academy.proposed + summary.proposed
            academy.retained = academy.retained + summary.retained
            academy.harmonised += summary.harmonised
            academy.harmonisedShift += summary.harmonisedShift
            academy.harmonisedWithProposal += summary.harmonisedWithProposal
        }
        var listed: [String: AcademyReport.NoteSummary] = [:]
        for establishment in establishments { listed[establishment.uai] = all[establishment.uai] ?? .init() }
        return AcademyReport.NoteTable(academy: academy, byEstablishment: listed)
    }

    /// The per-grid profile of every counted final grid with a proposed note and no missing required
    /// criterion. Parameters after the base ones: ?4 alternatives, ?5 required counts by option (JSON
    /// object, key `""` when the template has no alternatives), ?6… the scale codes.
    private var profileCTE: (sql: String, values: [SQLValue]) {
        let codes = template.scale.map(\.code)
        var required: [String: JSONValue] = [:]
        if let final = template.situation("final") {
            let groups = final.alternatives
            if groups.isEmpty {
                required[""] = .int(Int64(template.requiredCriteria(situation: final, option: nil).count))
            } else {
                for block in groups.flatMap({ $0 }) {
                    required[block] = .int(Int64(template.requiredCriteria(situation: final, option: block).count))
                }
            }
        }
        let columns = codes.indices.map { "count(*) FILTER (WHERE json_extract(l.value, '$') = ?\($0 + 6)) AS c\($0)" }.joined(separator: ", ")
        let sql = Self.common + """
            ,
            prof AS (
                SELECT f.entity, f.candidate, f.establishment, json_extract(n.value, '$') AS note, \(columns), count(*) AS total,
                    (SELECT value FROM json_each(?5) WHERE key = coalesce(f.option, '')) AS required
                FROM finals f
                JOIN state n ON n.entity = f.entity AND n.field = 'note' AND n.value <> 'null'
                JOIN state l ON l.entity = f.entity AND l.field >= 'level/' AND l.field < 'level0' AND l.value <> 'null'
                WHERE \(Self.inScope)
                GROUP BY f.entity
            )
            """
        return (sql, baseValues + [alternativeBlocks, .text(JSONValue.object(required).canonicalString)] + codes.map { .text($0) })
    }

    /// Notes per profile across the academy (one `GROUP BY` over the profiles), then the flagged grids.
    func profiles(establishment: String?) throws -> AcademyReport.ProfileTable {
        let codes = template.scale.map(\.code)
        guard template.note != nil else { return AcademyReport.ProfileTable(codes: codes, lines: [], flagged: []) }
        let (cte, values) = profileCTE
        let columns = codes.indices.map { "c\($0)" }.joined(separator: ", ")
        var byProfile: [AcademyReport.Profile: NoteDistribution] = [:]
        try db.forEach(cte + "\nSELECT \(columns), note, count(*) FROM prof WHERE total = required GROUP BY \(columns), note", values: values) { row in
            let profile = AcademyReport.Profile(counts: codes.indices.map { row.int($0) })
            byProfile[profile, default: NoteDistribution()].add(row.int(codes.count), count: row.int(codes.count + 1))
        }
        var flagged: [AcademyReport.FlaggedGrid] = []
        let filter = establishment.map { _ in " AND establishment = ?\(values.count + 1)" } ?? ""
        try db.forEach(cte + "\nSELECT entity, candidate, establishment, note, \(columns) FROM prof WHERE total = required\(filter)",
                       values: values + (establishment.map { [.text($0)] } ?? [])) { row in
            let profile = AcademyReport.Profile(counts: codes.indices.map { row.int(4 + $0) })
            let note = row.int(3)
            var reference = ([profile] + profile.neighbours).reduce(NoteDistribution()) { $0 + (byProfile[$1] ?? NoteDistribution()) }
            reference.remove(note)   // the grid itself is not its own reference
            guard reference.n >= AcademyReport.ProfileTable.minimumReference, let median = reference.median,
                  abs(Double(note) / 2 - median) * 2 >= Double(AcademyReport.ProfileTable.thresholdHalfPoints) else { return }
            flagged.append(AcademyReport.FlaggedGrid(grid: row.string(0), candidate: row.string(1), establishment: row.string(2),
                                                     profile: profile, note: note, reference: reference))
        }
        flagged.sort { a, b in
            let da = abs(Double(a.note) / 2 - (a.reference.median ?? 0)), db = abs(Double(b.note) / 2 - (b.reference.median ?? 0))
            return da != db ? da > db : a.grid < b.grid
        }
        return AcademyReport.ProfileTable(codes: codes, lines: byProfile.keys.sorted().map { .init(profile: $0, notes: byProfile[$0]!) },
                                          flagged: flagged)
    }
}

import Foundation
import Shared

/// The report as JSON, for `report --json` and `/v1/reports/…` (docs/REPORTS.md). JSON in Grille holds
/// integers only: notes are in half-points (29 = 14,5/20) like on the wire, and means, medians, standard
/// deviations and percentages are fixed-point integers in hundredths (`mean_x100: 1421` = 14,21), each
/// with a French display string beside it.
extension AcademyReport {
    func json(_ part: Part = .academy) -> JSONValue {
        var root: [String: JSONValue] = [
            "report": .string(part.rawValue),
            "academy": .string(academy),
            "session": .string(session),
            "timezone": .string(timezone),
            "establishment": establishment.map { .string($0) } ?? .null,
            "generated_at": .int(generatedAt),
        ]
        let wants = { (p: Part) in part == .academy || part == p }
        if part != .devices {
            root["epreuves"] = .array(epreuves.map { epreuve in
                var object: [String: JSONValue] = [
                    "template": .string(epreuve.template.id),
                    "epreuve": .string(epreuve.template.epreuve),
                    "diploma": .string(epreuve.template.diploma),
                    "title": .string(epreuve.template.title),
                ]
                if wants(.candidates) { object["candidates"] = epreuve.candidatesJSON }
                if wants(.criteria) { object["criteria"] = epreuve.criteriaJSON }
                if wants(.notes) { object["notes"] = epreuve.notesJSON }
                if wants(.profiles) { object["profiles"] = epreuve.profilesJSON }
                return .object(object)
            })
        }
        if wants(.devices) { root["devices"] = .array(devices.map(\.json)) }
        return .object(root)
    }
}

extension AcademyReport.Epreuve {
    func named(_ uai: String) -> JSONValue {
        .string(establishments.first { $0.uai == uai }?.name ?? uai)
    }

    var candidatesJSON: JSONValue {
        .object([
            "academy": candidates.academy.json,
            "establishments": .array(establishments.map { e in
                (candidates.byEstablishment[e.uai] ?? .init()).json.merging(["uai": .string(e.uai), "name": .string(e.name)])
            }),
        ])
    }

    var criteriaJSON: JSONValue {
        let codes = template.scale.map(\.code)
        return .array(criteria.map { line in
            .object([
                "criterion": .string(line.criterion.id),
                "label": .string(line.criterion.label),
                "block": .string(line.block.id),
                "academy": line.academy.json(codes),
                "establishments": .array(establishments.map { e in
                    (line.byEstablishment[e.uai] ?? .init()).json(codes).merging(["uai": .string(e.uai)])
                }),
            ])
        })
    }

    var notesJSON: JSONValue {
        .object([
            "academy": notes.academy.json,
            "establishments": .array(establishments.map { e in
                (notes.byEstablishment[e.uai] ?? .init()).json.merging(["uai": .string(e.uai), "name": .string(e.name)])
            }),
        ])
    }

    var profilesJSON: JSONValue {
        let codes = profiles.codes
        func levels(_ p: AcademyReport.Profile) -> JSONValue {
            .object(Dictionary(uniqueKeysWithValues: zip(codes, p.counts.map { JSONValue.int(Int64($0)) })))
        }
        return .object([
            "rule": .string(AcademyReport.ProfileTable.rule),
            "threshold_half_points": .int(Int64(AcademyReport.ProfileTable.thresholdHalfPoints)),
            "minimum_reference": .int(Int64(AcademyReport.ProfileTable.minimumReference)),
            "codes": .array(codes.map { .string($0) }),
            "profiles": .array(profiles.lines.map { line in
                line.notes.summaryJSON.merging(["levels": levels(line.profile)])
            }),
            "flagged": .array(profiles.flagged.map { flag in
                .object([
                    "grid": .string(flag.grid),
                    "candidate": .string(flag.candidate),
                    "establishment": .string(flag.establishment),
                    "levels": levels(flag.profile),
                    "note": .int(Int64(flag.note)),
                    "note_display": .string(GridRules.formatNote(halfPoints: flag.note)),
                    "reference": flag.reference.summaryJSON,
                ])
            }),
        ])
    }
}

extension AcademyReport.CandidateCounts {
    var json: JSONValue {
        .object([
            "enrolled": .int(Int64(enrolled)), "conforming": .int(Int64(conforming)), "nv": .int(Int64(nv)),
            "absent": .int(Int64(absent)), "conformity_unrecorded": .int(Int64(unrecorded)), "started": .int(Int64(started)),
            "complete": .int(Int64(complete)), "to_resign": .int(Int64(toResign)), "missing": .int(Int64(missing)),
        ])
    }
}

extension AcademyReport.LevelCounts {
    func json(_ codes: [String]) -> JSONValue {
        var levels: [String: JSONValue] = [:]
        for code in codes {
            levels[code] = .object(["count": .int(Int64(counts[code] ?? 0)), "percent_x100": .int(Fixed.x100(percent(code)))])
        }
        return .object(["total": .int(Int64(total)), "levels": .object(levels)])
    }
}

extension AcademyReport.NoteSummary {
    var json: JSONValue {
        .object([
            "proposed": proposed.json,
            "retained": retained.json,
            "harmonised": .int(Int64(harmonised)),
            "mean_shift_x100": harmonisedWithProposal == 0 ? .null
                : .int(Fixed.x100(Double(harmonisedShift) / 2 / Double(harmonisedWithProposal))),
        ])
    }
}

extension NoteDistribution {
    /// n, min, max (half-points) and the median: what the profile table shows.
    var summaryJSON: JSONValue {
        .object([
            "n": .int(Int64(n)),
            "min": min.map { .int(Int64($0)) } ?? .null,
            "max": max.map { .int(Int64($0)) } ?? .null,
            "median_x100": median.map { .int(Fixed.x100($0)) } ?? .null,
            "median_display": median.map { .string(Fixed.french($0)) } ?? .null,
        ])
    }

    var json: JSONValue {
        summaryJSON.merging([
            "mean_x100": mean.map { .int(Fixed.x100($0)) } ?? .null,
            "mean_display": mean.map { .string(Fixed.french($0)) } ?? .null,
            "stddev_x100": standardDeviation.map { .int(Fixed.x100($0)) } ?? .null,
            "stddev_display": standardDeviation.map { .string(Fixed.french($0)) } ?? .null,
            "histogram": .array(histogram().map { .int(Int64($0)) }),
        ])
    }
}

extension AcademyReport.DeviceLine {
    var json: JSONValue {
        .object([
            "device": .string(device.id),
            "evaluator": .string(device.evaluator),
            "name": evaluator.map { .string("\($0.lastName.uppercased()) \($0.firstName)") } ?? .null,
            "role": evaluator.map { .string($0.role.rawValue) } ?? .null,
            "establishment": evaluator?.establishment.map { .string($0) } ?? .null,
            "enrolled_at": .int(device.enrolledAt),
            "revoked_at": device.revokedAt.map { .int($0) } ?? .null,
            "last_sync": device.lastSeen.map { .int($0) } ?? .null,
            "clock_offset_ms": device.clockOffset.map { .int($0) } ?? .null,
            "conflicts": .int(Int64(conflicts)),
            "rejected": .int(Int64(rejected)),
            "quarantined": .int(Int64(quarantined)),
        ])
    }
}

extension JSONValue {
    /// This object with `extra` members added (an object is expected).
    func merging(_ extra: [String: JSONValue]) -> JSONValue {
        guard case .object(var members) = self else { return self }
        for (key, value) in extra { members[key] = value }
        return .object(members)
    }
}

/// Fixed-point and French renderings of measured values.
enum Fixed {
    static func x100(_ value: Double) -> Int64 { Int64((value * 100).rounded()) }

    /// « 14,21 »: two decimals (or `digits`), decimal comma.
    static func french(_ value: Double, digits: Int = 2) -> String {
        String(format: "%.\(digits)f", value).replacingOccurrences(of: ".", with: ",")
    }
}

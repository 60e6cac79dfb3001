/// The roster as replicated entities: the server turns an imported roster into field writes and every
/// replica turns the merged roster fields back into a `Roster`. See docs/PROTOCOL.md, "Roster entities".
public enum RosterEntities {
    /// Every roster field and its value.
    public static func fields(of roster: Roster) -> [FieldKey: JSONValue] {
        var fields: [FieldKey: JSONValue] = [:]
        func put(_ entity: String, _ values: [String: JSONValue]) {
            for (field, value) in values { fields[FieldKey(entity: entity, field: field)] = value }
        }
        for e in roster.establishments {
            put("establishment/\(e.uai)", ["name": .string(e.name), "city": .string(e.city)])
        }
        for e in roster.evaluators {
            put("evaluator/\(e.id)", ["last_name": .string(e.lastName), "first_name": .string(e.firstName), "email": .string(e.email),
                                      "establishment": e.establishment.map { .string($0) } ?? .null, "role": .string(e.role.rawValue)])
        }
        for c in roster.commissions {
            put("commission/\(c.id)", ["establishment": .string(c.establishment), "template": .string(c.template),
                                       "session": .string(c.session), "members": .array(c.members.map { .string($0) })])
        }
        for c in roster.candidates {
            put("candidate/\(c.number)", ["last_name": .string(c.lastName), "first_name": .string(c.firstName),
                                          "establishment": .string(c.establishment), "internship_weeks": .int(Int64(c.internshipWeeks))])
        }
        for r in roster.registrations {
            put("registration/\(r.candidate)/\(r.commission)", ["active": .bool(true)])
        }
        return fields
    }

    /// The writes that turn the roster described by `current` (merged roster fields) into `roster`:
    /// changed or new fields, and tombstones for the fields of entities that disappeared.
    public static func changes(from current: [FieldKey: JSONValue], to roster: Roster) -> [FieldKey: JSONValue] {
        let wanted = fields(of: roster)
        var changes: [FieldKey: JSONValue] = [:]
        for (key, value) in wanted where current[key] != value { changes[key] = value }
        for (key, value) in current where wanted[key] == nil && value != .null { changes[key] = .null }
        return changes
    }

    /// The roster described by merged roster fields (tombstoned entities are gone). Order: by id.
    public static func roster(from fields: [FieldKey: JSONValue]) -> Roster {
        var byEntity: [String: [String: JSONValue]] = [:]
        for (key, value) in fields where value != .null { byEntity[key.entity, default: [:]][key.field] = value }
        var establishments: [Roster.Establishment] = []
        var evaluators: [Roster.Evaluator] = []
        var commissions: [Roster.Commission] = []
        var candidates: [Roster.Candidate] = []
        var registrations: [Roster.Registration] = []
        for entity in byEntity.keys.sorted() {
            let f = byEntity[entity]!
            let parts = entity.split(separator: "/").map(String.init)
            func s(_ name: String) -> String { f[name]?.stringValue ?? "" }
            switch parts[0] {
            case "establishment" where parts.count == 2 && f["name"] != nil:
                establishments.append(.init(uai: parts[1], name: s("name"), city: s("city")))
            case "evaluator" where parts.count == 2 && f["last_name"] != nil:
                evaluators.append(.init(id: parts[1], lastName: s("last_name"), firstName: s("first_name"), email: s("email"),
                                        establishment: f["establishment"]?.stringValue,
                                        role: Roster.Evaluator.Role(rawValue: s("role")) ?? .teacher))
            case "commission" where parts.count == 2 && f["template"] != nil:
                commissions.append(.init(id: parts[1], establishment: s("establishment"), template: s("template"),
                                         session: s("session"), members: f["members"]?.arrayValue?.compactMap(\.stringValue) ?? []))
            case "candidate" where parts.count == 2 && f["last_name"] != nil:
                candidates.append(.init(number: parts[1], lastName: s("last_name"), firstName: s("first_name"),
                                        establishment: s("establishment"), internshipWeeks: Int(f["internship_weeks"]?.intValue ?? 0)))
            case "registration" where parts.count == 3 && f["active"] == .bool(true):
                registrations.append(.init(candidate: parts[1], commission: parts[2]))
            default:
                continue
            }
        }
        return Roster(establishments: establishments, evaluators: evaluators, commissions: commissions,
                      candidates: candidates, registrations: registrations)
    }
}

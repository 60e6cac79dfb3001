import Shared

extension LocalStore {
    /// Replaces the local roster with `roster` in one transaction. Importing the same roster twice
    /// changes nothing. `source` records where it came from (`file`, `demo`; later `server`).
    func replaceRoster(_ roster: Roster, source: String) throws {
        try db.write {
            for table in ["roster_establishments", "roster_evaluators", "roster_commissions", "roster_candidates", "roster_registrations"] {
                try db.run("DELETE FROM \(table)")
            }
            for e in roster.establishments {
                try db.run("INSERT INTO roster_establishments (uai, name, city) VALUES (?, ?, ?)", e.uai, e.name, e.city)
            }
            for e in roster.evaluators {
                try db.run("INSERT INTO roster_evaluators (id, last_name, first_name, email, establishment, role) VALUES (?, ?, ?, ?, ?, ?)",
                           e.id, e.lastName, e.firstName, e.email, e.establishment ?? "", e.role.rawValue)
            }
            for c in roster.commissions {
                try db.run("INSERT INTO roster_commissions (id, establishment, template, session, members) VALUES (?, ?, ?, ?, ?)",
                           c.id, c.establishment, c.template, c.session, c.members.joined(separator: ";"))
            }
            for c in roster.candidates {
                try db.run("INSERT INTO roster_candidates (number, last_name, first_name, establishment, internship_weeks) VALUES (?, ?, ?, ?, ?)",
                           c.number, c.lastName, c.firstName, c.establishment, c.internshipWeeks)
            }
            for r in roster.registrations {
                try db.run("INSERT INTO roster_registrations (candidate, commission) VALUES (?, ?)", r.candidate, r.commission)
            }
            try db.run("INSERT INTO settings (key, value) VALUES ('roster_source', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", source)
        }
    }

    /// The roster held locally; empty when none was imported.
    func roster() throws -> Roster {
        try db.read {
            let establishments = try db.query("SELECT uai, name, city FROM roster_establishments ORDER BY rowid").map {
                Roster.Establishment(uai: $0.string(0), name: $0.string(1), city: $0.string(2))
            }
            let evaluators = try db.query("SELECT id, last_name, first_name, email, establishment, role FROM roster_evaluators ORDER BY rowid").map {
                Roster.Evaluator(id: $0.string(0), lastName: $0.string(1), firstName: $0.string(2), email: $0.string(3),
                                 establishment: $0.string(4).isEmpty ? nil : $0.string(4),
                                 role: Roster.Evaluator.Role(rawValue: $0.string(5)) ?? .teacher)
            }
            let commissions = try db.query("SELECT id, establishment, template, session, members FROM roster_commissions ORDER BY rowid").map {
                Roster.Commission(id: $0.string(0), establishment: $0.string(1), template: $0.string(2), session: $0.string(3),
                                  members: $0.string(4).split(separator: ";").map(String.init))
            }
            let candidates = try db.query("SELECT number, last_name, first_name, establishment, internship_weeks FROM roster_candidates ORDER BY rowid").map {
                Roster.Candidate(number: $0.string(0), lastName: $0.string(1), firstName: $0.string(2), establishment: $0.string(3),
                                 internshipWeeks: $0.int(4))
            }
            let registrations = try db.query("SELECT candidate, commission FROM roster_registrations ORDER BY rowid").map {
                Roster.Registration(candidate: $0.string(0), commission: $0.string(1))
            }
            return Roster(establishments: establishments, evaluators: evaluators, commissions: commissions,
                          candidates: candidates, registrations: registrations)
        }
    }
}

import Foundation

extension Roster {
    /// Reads and checks the five roster files of `directory`: `establishments.csv`,
    /// `evaluators.csv`, `commissions.csv`, `candidates.csv` and `registrations.csv`.
    ///
    /// Files are UTF-8 CSV (see ``CSV``), at most 50 MiB and 200,000 lines each, whose first line
    /// names the columns in any order. Fields are trimmed. The rules, beyond each value's shape:
    /// - ids, numbers and UAIs are unique within their file;
    /// - every evaluator belongs to a listed establishment, except that an `academy` evaluator
    ///   may have none;
    /// - a commission belongs to a listed establishment, uses a template of `templateIDs`, and
    ///   has one or more distinct members, each a `teacher` or `professional` (coordinators
    ///   follow commissions without sitting on them); members may come from any establishment;
    /// - a registration names a listed candidate and commission of the candidate's own
    ///   establishment (in CCF an establishment evaluates its own candidates), appears once, and
    ///   is the candidate's only one for that commission's template and session.
    ///
    /// - Throws: the first ``RosterError`` met, files read in the order above.
    public static func load(directory: URL, templateIDs: Set<String>) throws(RosterError) -> Roster {
        try load(directory: directory, templateIDs: templateIDs, limits: .default)
    }

    static func load(directory: URL, templateIDs: Set<String>, limits: RosterTable.Limits) throws(RosterError) -> Roster {
        var loader = RosterLoader(directory: directory, templateIDs: templateIDs, limits: limits)
        return try loader.load()
    }
}

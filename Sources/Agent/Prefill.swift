import Shared

/// How `grid new --situation final --prefill` starts a final grid (annexe V-4): each required criterion of
/// the fixed blocks takes the level reached at the latest interview of situation A, each criterion of the
/// chosen option the level of the simulation's working notes (situation B), and the option comes from the
/// simulation when none is given. Every pre-filled level is marked (`prefill/<criterion>`) until a jury
/// member confirms or changes it; GRIDS.md, "Rules", and DESIGN.md, "Signatures".
///
/// A pure function of the merged grids, so it is tested without a store.
struct Prefill: Equatable {
    struct Entry: Equatable {
        let criterion: String
        let level: String
        /// The grid the level comes from.
        let source: GridID
    }

    /// The option the final grid ends up with (given, already chosen, or the simulation's); nil when none.
    let option: String?
    /// Levels to write, in template order.
    let entries: [Entry]
    /// Required criteria that stay empty: no source holds a level for them.
    let unsourced: [String]

    /// The plan for `final`. `option` is the option given on the command line, if any. Criteria that already
    /// hold a level are left alone; deleted interview or simulation grids are not sources.
    static func plan(final: GridView, interviews: [GridView], simulation: GridView?, option given: String?) -> Prefill {
        let template = final.template
        let options = template.optionBlocks(in: final.situation)
        let live = { (view: GridView) in view.value(GridField.status)?.stringValue != "deleted" }
        let sources = interviews.filter(live)
        let simulation = simulation.flatMap { live($0) ? $0 : nil }
        var option = given ?? final.option
        if option == nil, let proposed = simulation?.option, options.contains(proposed) {
            option = proposed
        }
        let present = final.levels
        var entries: [Entry] = []
        var unsourced: [String] = []
        for criterion in template.requiredCriteria(situation: final.situation, option: option) {
            guard present[criterion.id] == nil else { continue }
            if let entry = latestInterviewLevel(criterion.id, in: sources) ?? simulationLevel(criterion.id, in: simulation) {
                entries.append(entry)
            } else {
                unsourced.append(criterion.id)
            }
        }
        return Prefill(option: option, entries: entries, unsourced: unsourced)
    }

    /// The level of `criterion` at the latest interview that rated it: interviews ordered by their `date`
    /// field (an undated one comes first), then by the clock stamp of the level's event.
    static func latestInterviewLevel(_ criterion: String, in interviews: [GridView]) -> Entry? {
        let field = GridField.level(criterion)
        var best: (date: String, stamp: HybridLogicalClock, entry: Entry)?
        for view in interviews where view.template.criteria(for: view.situation).contains(where: { $0.id == criterion }) {
            guard let state = view.fields[field], !state.isTombstone, let level = state.value.stringValue else { continue }
            let date = view.value(GridField.date)?.stringValue ?? ""
            let stamp = state.winner.hlc
            if let current = best, (current.date, current.stamp) >= (date, stamp) { continue }
            best = (date, stamp, Entry(criterion: criterion, level: level, source: view.id))
        }
        return best?.entry
    }

    /// The simulation's level of `criterion`, when the criterion belongs to the option the simulation was
    /// played on (a level of the other option, left by another replica, is out of scope there).
    static func simulationLevel(_ criterion: String, in simulation: GridView?) -> Entry? {
        guard let simulation, let level = simulation.levels[criterion],
              simulation.requiredCriteria.contains(where: { $0.id == criterion }) else { return nil }
        return Entry(criterion: criterion, level: level, source: simulation.id)
    }
}

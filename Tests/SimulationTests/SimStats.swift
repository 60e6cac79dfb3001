/// What a simulated run exercised: one counter per kind of step, fault and roster change. Runs add up
/// (`+=`) into the totals printed at the end of a batch of seeds.
struct SimStats: Sendable, Equatable, Codable {
    /// Counter names in print order, grouped as they are printed.
    static let groups: [(title: String, names: [String])] = [
        ("steps", ["steps", "writes", "writes refused", "syncs", "syncs failed", "syncs completed"]),
        ("network", ["requests", "requests dropped", "answers dropped", "requests duplicated", "requests delayed",
                     "delayed delivered", "deliveries reordered", "answers truncated", "refused (offline or server down)",
                     "agents offline"]),
        ("crashes and clocks", ["agent crashes", "agent crashes mid-sync", "server crashes", "clock skews", "clock jumps back",
                                "clock corrections", "events re-stamped"]),
        ("roster", ["roster imports", "roster moves", "member adds", "member removes"]),
        ("devices", ["enrollments", "enrollments failed", "revocations", "wipes", "replacement devices", "re-enrollments after restore"]),
        ("workflow", ["deliberations", "harmonisations", "purges", "backups", "restores", "events lost by restores",
                      "events re-pushed", "events re-stamped after restore"]),
        ("outcome", ["events accepted", "events rejected or quarantined", "events checked", "replicas checked",
                     "unrecoverable after restore", "violations"]),
    ]

    private(set) var counts: [String: Int] = [:]

    subscript(name: String) -> Int {
        get { counts[name] ?? 0 }
        set { counts[name] = newValue }
    }

    mutating func add(_ name: String, _ amount: Int = 1) {
        counts[name, default: 0] += amount
    }

    static func += (lhs: inout SimStats, rhs: SimStats) {
        for (name, value) in rhs.counts { lhs.counts[name, default: 0] += value }
    }

    /// One line per group, `name value` pairs; every counter appears, zeros included, so a fault that was
    /// never exercised shows.
    func report(indent: String = "  ") -> String {
        var lines: [String] = []
        var listed = Set<String>()
        for group in SimStats.groups {
            listed.formUnion(group.names)
            lines.append(indent + group.title + ": " + group.names.map { "\($0) \(self[$0])" }.joined(separator: ", "))
        }
        let others = counts.keys.filter { !listed.contains($0) }.sorted()
        if !others.isEmpty {
            lines.append(indent + "other: " + others.map { "\($0) \(self[$0])" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}

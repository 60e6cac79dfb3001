import Shared

/// Random event sets as concurrent replicas would make them: each device writes with `prev` = the heads
/// it knows, learns random parts of the others' logs, writes with equal wall times across devices,
/// counters above 10,000, tombstones and duplicated ids.
public struct RandomHistory {
    public var events: [Event] = []
    public init() {}

    public static func make(seed: UInt64, forgeries: Bool = true) -> RandomHistory {
        var rng = SeededGenerator(seed: seed)
        let devices = (0..<Int.random(in: 2...4, using: &rng)).map { "dev-\($0)" }
        let keys = (0..<Int.random(in: 1...4, using: &rng)).map {
            FieldKey(entity: "grid/ndrc-e4-ccf/2026/0261400\($0 % 2)/final", field: ["level/prospection.1", "note", "comment/information.2"][$0 % 3])
        }
        let values: [JSONValue] = ["TI", "I", "S", "TS", .null, .int(29), .object(["content": "x"])]
        var known: [String: [Event]] = Dictionary(uniqueKeysWithValues: devices.map { ($0, []) })
        var history = RandomHistory()
        let baseWall: Int64 = 1_763_824_800_000
        for step in 0..<Int.random(in: 1...30, using: &rng) {
            let device = devices.randomElement(using: &rng)!
            if rng.chance(0.3) {
                // Sync: learn a random subset of another device's events.
                let other = devices.randomElement(using: &rng)!
                for event in known[other]! where rng.chance(0.6) && !known[device]!.contains(event) {
                    known[device]!.append(event)
                }
                continue
            }
            let key = keys.randomElement(using: &rng)!
            let mine = known[device]!.filter { $0.key == key }
            var heads = Merge.fieldState(mine)?.heads.map(\.id) ?? []
            if rng.chance(0.1), !heads.isEmpty { heads.removeLast() }   // a stale view
            let wall = baseWall + Int64.random(in: 0...3, using: &rng)     // equal walls across devices
            let counter = rng.chance(0.3) ? Int64.random(in: 10_000...10_050, using: &rng) : Int64.random(in: 0...2, using: &rng)
            let event = Event(id: "e\(seed)-\(step)-\(UInt16.random(in: 0...UInt16.max, using: &rng))", entity: key.entity,
                              field: key.field, value: values.randomElement(using: &rng)!,
                              hlc: HybridLogicalClock(wall: wall, counter: counter, device: device),
                              author: "ev-\(device.suffix(1))", prev: heads)
            known[device]!.append(event)
            history.events.append(event)
            if forgeries && rng.chance(0.05) {
                // A forged copy: same id, other content. The merge must still be order-independent.
                history.events.append(Event(id: event.id, entity: event.entity, field: event.field, value: "TS",
                                            hlc: event.hlc, author: event.author, prev: event.prev))
            }
        }
        return history
    }
}


// grille-bench: the Swift side of bench/b2-merge.sh (B2, merge throughput).
//
//   grille-bench merge-gen --out FILE [--events N] [--devices D] [--contested F] [--seed S]
//   grille-bench merge-memory FILE [--winners TSV]
//   grille-bench merge-sqlite FILE DB [--batch B]
//   grille-bench report-roster|report-grids|report-params …   (B8, see Academy.swift)
//
// merge-gen writes N events, one canonical JSON body per line, shuffled. merge-memory and merge-sqlite
// read the whole file before the clock starts; the timed part starts from the bytes of each line, so it
// includes parsing, as the server does on a push. Each prints one line of key=value pairs on stdout.
import Foundation
import Shared

/// SplitMix64: a small deterministic generator, so a seed always gives the same input file.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("grille-bench: \(message)\n".utf8))
    exit(1)
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func options(_ arguments: ArraySlice<String>) -> (positional: [String], named: [String: String]) {
    var positional: [String] = []
    var named: [String: String] = [:]
    var rest = arguments
    while let argument = rest.popFirst() {
        if argument.hasPrefix("--") {
            guard let value = rest.popFirst() else { fail("\(argument) needs a value") }
            named[String(argument.dropFirst(2))] = value
        } else {
            positional.append(argument)
        }
    }
    return (positional, named)
}

/// The input file as lines of bytes.
func readLines(_ path: String) -> [ArraySlice<UInt8>] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    let bytes = [UInt8](data)
    return bytes.split(separator: 0x0A, omittingEmptySubsequences: true)
}

// MARK: - Generation

/// The workload of B2: `devices` laptops, grouped by four into commissions. Each event is written by a
/// random device; with probability `contested` it writes a field its whole commission writes too (a
/// contested field), else one of the device's own fields. A device's k-th event carries the clock
/// (base + 250·k ms, 0, device), and `prev` names the device's previous write of the same field, as a
/// replica that saw only its own writes would. The lines are shuffled at the end.
func generate(events: Int, devices: Int, contested: Double, seed: UInt64, out: String) {
    var rng = SplitMix64(state: seed)
    let ownKeysPerDevice = max(1, Int(Double(events) * (1 - contested) / Double(devices) / 3))  // ~3 writes each
    let commissions = (devices + 3) / 4
    let sharedKeysPerCommission = max(1, Int(Double(events) * contested / Double(commissions) / 8))  // ~8 writes each
    let levelFields = (1...12).map { "level/C\($0)" }
    let textFields = (1...8).map { "comment/C\($0)" }
    let fieldsPerGrid = levelFields.count + textFields.count
    func key(commission: Int, grid: Int, slot: Int) -> (entity: String, field: String) {
        let candidate = String(format: "%08d", 26_000_000 + commission * 10_000 + grid)
        let field = slot < levelFields.count ? levelFields[slot] : textFields[slot - levelFields.count]
        return ("grid/ndrc-e4-ccf/2026/\(candidate)/final", field)
    }
    // A version 7 UUID of `wall` (the write's millisecond) with seeded random bits, as the agent makes
    // its ids (SecureRandom.uuid7), so that every run writes the same ids.
    func uuid(wall: Int64) -> String {
        let bits = (rng.next(), rng.next())
        let random = (0..<10).map { UInt8(truncatingIfNeeded: ($0 < 8 ? bits.0 : bits.1) >> (8 * ($0 % 8))) }
        return SecureRandom.uuid7(milliseconds: wall, random: random)
    }
    var counters = [Int](repeating: 0, count: devices)
    var lastWrite: [String: String] = [:]  // "device entity field" -> id
    var lastLevel: [String: Int] = [:]
    var lines: [String] = []
    lines.reserveCapacity(events)
    let base: Int64 = 1_780_000_000_000
    for i in 0..<events {
        let d = Int(rng.next() % UInt64(devices))
        let commission = d / 4
        let slotKey: (entity: String, field: String)
        if Double(rng.next() % 1_000_000) / 1_000_000 < contested {
            let s = Int(rng.next() % UInt64(sharedKeysPerCommission))
            // Grids 0..<5000 of a commission are shared; a device's own grids start at 5000 + 1000·(d % 4).
            slotKey = key(commission: commission, grid: s / fieldsPerGrid, slot: s % fieldsPerGrid)
        } else {
            let s = Int(rng.next() % UInt64(ownKeysPerDevice))
            slotKey = key(commission: commission, grid: 5_000 + 1_000 * (d % 4) + s / fieldsPerGrid, slot: s % fieldsPerGrid)
        }
        let device = String(format: "dev-%03d", d)
        let author = String(format: "ev-%03d", d)
        let memo = "\(device) \(slotKey.entity) \(slotKey.field)"
        // A device rewrites a field to change it: a level differs from the device's last level there.
        var value: JSONValue = .string("Remarque n° \(i) : argumentation « structurée », reformulation à travailler.")
        if slotKey.field.hasPrefix("level/") {
            let level = lastLevel[memo].map { 1 + ($0 + Int(rng.next() % 3)) % 4 } ?? Int(1 + rng.next() % 4)
            lastLevel[memo] = level
            value = .int(Int64(level))
        }
        let wall = base + 250 * Int64(counters[d])
        let id = uuid(wall: wall)
        let event = Event(id: id, entity: slotKey.entity, field: slotKey.field, value: value,
                          hlc: HybridLogicalClock(wall: wall, counter: 0, device: device),
                          author: author, prev: lastWrite[memo].map { [$0] } ?? [])
        counters[d] += 1
        lastWrite[memo] = id
        lines.append(event.json.canonicalString)
    }
    lines.shuffle(using: &rng)
    var text = lines.joined(separator: "\n")
    text.append("\n")
    guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else { fail("cannot write \(out)") }
    print("events=\(events) devices=\(devices) contested=\(contested) own_keys_per_device=\(ownKeysPerDevice) shared_keys_per_commission=\(sharedKeysPerCommission) bytes=\(text.utf8.count)")
}

// MARK: - In-memory fold

func mergeMemory(path: String, winners: String?) {
    let lines = readLines(path)
    let start = monotonicSeconds(), cpu = cpuSeconds()
    var events: [Event] = []
    events.reserveCapacity(lines.count)
    for line in lines {
        do { events.append(try Event(bytes: line)) } catch { fail("bad event: \(error)") }
    }
    let parsed = monotonicSeconds()
    let states = Merge.fold(events)
    let end = monotonicSeconds(), cpuEnd = cpuSeconds()
    let hash = Merge.stateHash(states.values)
    let conflicts = states.values.filter(\.isConflict).count
    if let winners {
        var text = ""
        for state in states.values.sorted(by: { $0.key < $1.key }) {
            text += "\(state.key.entity)\t\(state.key.field)\t\(state.winner.id)\t\(state.value.canonicalString)\n"
        }
        guard FileManager.default.createFile(atPath: winners, contents: Data(text.utf8)) else { fail("cannot write \(winners)") }
    }
    print("events=\(events.count) keys=\(states.count) conflicts=\(conflicts) seconds=\(end - start) parse_seconds=\(parsed - start) fold_seconds=\(end - parsed) cpu_seconds=\(cpuEnd - cpu) hash=\(hash)")
}

// MARK: - Persisted materialisation

/// The server's `events` table (Sources/Server/ServerStore+Schema.swift) and the shared `state` table.
let eventsSchema = """
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        entity TEXT NOT NULL,
        field TEXT NOT NULL,
        body TEXT NOT NULL,
        scope TEXT NOT NULL,
        author TEXT NOT NULL,
        device TEXT NOT NULL,
        wall INTEGER NOT NULL,
        counter INTEGER NOT NULL,
        applied INTEGER NOT NULL DEFAULT 1,
        receipt TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        received_from TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_by_key ON events (entity, field) WHERE applied = 1;
    CREATE INDEX events_by_scope ON events (scope, seq);
    """

/// Per batch, in one write transaction as a push does: parse each event, insert its row as
/// ServerStore.insert does (no receipt: an HMAC is a push concern, measured by push throughput), then
/// `Materializer.apply` of the batch, as `ServerStore.push` does. WAL with synchronous=FULL, the server's settings.
func mergeSQLite(path: String, database: String, batch: Int) {
    let lines = readLines(path)
    var settings = Database.Options()
    settings.synchronous = .full
    let db: Database
    do {
        db = try Database(path: database, options: settings)
        try db.execute(eventsSchema + "\n" + Materializer.stateSchema + "\n" + Materializer.danglingSchema)
        if let pragma = ProcessInfo.processInfo.environment["GRILLE_BENCH_PRAGMA"] { try db.execute(pragma) }  // experiments only
    } catch { fail("database: \(error)") }
    let start = monotonicSeconds(), cpu = cpuSeconds()
    do {
        var first = 0
        while first < lines.count {
            let chunk = lines[first..<min(first + batch, lines.count)]
            try db.write {
                var applied: [Event] = []
                for line in chunk {
                    let event = try Event(bytes: line)
                    let scope = event.entity.split(separator: "/").prefix(4).joined(separator: "/")
                    try Materializer.recordReferences(of: event, in: db)
                    try db.run("""
                        INSERT INTO events (id, entity, field, body, scope, author, device, wall, counter, receipt, received_at, received_from)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, event.id, event.entity, event.field, event.canonicalString, scope, event.author, event.device,
                        event.hlc.wall, event.hlc.counter, "", SystemWallClock().nowMilliseconds(), event.device)
                    applied.append(event)
                }
                try Materializer.apply(applied, in: db)
            }
            first += batch
        }
    } catch { fail("materialisation: \(error)") }
    let end = monotonicSeconds(), cpuEnd = cpuSeconds()
    do {
        let hash = try Materializer.stateHash(in: db)
        let keys = try db.scalarInt("SELECT count(*) FROM state") ?? 0
        let conflicts = try db.scalarInt("SELECT count(*) FROM state WHERE conflict = 1") ?? 0
        print("events=\(lines.count) keys=\(keys) conflicts=\(conflicts) batch=\(batch) seconds=\(end - start) cpu_seconds=\(cpuEnd - cpu) hash=\(hash)")
    } catch { fail("state hash: \(error)") }
}

// MARK: - Main

let arguments = CommandLine.arguments.dropFirst()
guard let command = arguments.first else {
    fail("usage: grille-bench merge-gen|merge-memory|merge-sqlite …")
}
let parsed = options(arguments.dropFirst())
func number(_ name: String, _ fallback: Int) -> Int {
    guard let text = parsed.named[name] else { return fallback }
    guard let value = Int(text), value > 0 else { fail("--\(name) must be a positive integer") }
    return value
}
switch command {
case "merge-gen":
    guard let out = parsed.named["out"] else { fail("merge-gen needs --out FILE") }
    let contested = Double(parsed.named["contested"] ?? "0.3") ?? 0.3
    generate(events: number("events", 1_000_000), devices: number("devices", 200), contested: contested,
             seed: UInt64(number("seed", 8)), out: out)
case "merge-memory":
    guard parsed.positional.count == 1 else { fail("usage: grille-bench merge-memory FILE [--winners TSV]") }
    mergeMemory(path: parsed.positional[0], winners: parsed.named["winners"])
case "merge-sqlite":
    guard parsed.positional.count == 2 else { fail("usage: grille-bench merge-sqlite FILE DB [--batch B]") }
    mergeSQLite(path: parsed.positional[0], database: parsed.positional[1], batch: number("batch", 1_000))
case "report-roster":
    guard parsed.positional.count == 1 else { fail("usage: grille-bench report-roster DIR [--candidates N]") }
    Academy.writeRoster(directory: parsed.positional[0], candidates: number("candidates", 40_000))
case "report-grids":
    guard parsed.positional.count == 2 else { fail("usage: grille-bench report-grids DB ROSTER_DIR [--seed S]") }
    Academy.writeGrids(database: parsed.positional[0], rosterDirectory: parsed.positional[1], seed: UInt64(number("seed", 20_260_512)))
case "report-params":
    Academy.parameters()
default:
    fail("unknown command \(command)")
}

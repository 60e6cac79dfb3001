// libFuzzer target `roster`: the roster import (`Roster.load`, Sources/Shared/Domain/RosterLoader.swift,
// RosterTable.swift, RosterCell.swift): header checks, per-row value checks and cross-file references.
//
// `Roster.load` reads a directory, so the input is split on NUL bytes (which no roster file may hold)
// into up to five parts, written as establishments.csv, evaluators.csv, commissions.csv,
// candidates.csv and registrations.csv in a scratch directory reused for every input; a file whose
// part is absent is removed. Templates are the bundled ones. A refusal must be a `RosterError` naming
// one of the five files; a loaded roster must hold every reference it was checked for.
import Foundation
import Shared

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let parts = inputBytes(data, size).split(separator: 0, maxSplits: files.count - 1, omittingEmptySubsequences: false)
    for (index, file) in files.enumerated() {
        let url = scratch.appendingPathComponent(file)
        if index < parts.count {
            guard FileManager.default.createFile(atPath: url.path, contents: Data(parts[index])) else {
                fatalError("fuzz harness: cannot write \(url.path)")
            }
        } else {
            try? FileManager.default.removeItem(at: url)
        }
    }
    let roster: Roster
    do {
        roster = try Roster.load(directory: scratch, templateIDs: templateIDs)
    } catch {
        invariant(files.contains(error.file), "error names file \(error.file)")
        invariant(error.line.map { $0 >= 1 } ?? true, "error on line \(error.line ?? 0)")
        invariant(!error.message.isEmpty, "error without a message")
        _ = error.description
        return 0
    }
    check(roster)
    return 0
}

private let files = ["establishments.csv", "evaluators.csv", "commissions.csv", "candidates.csv", "registrations.csv"]

private let templateIDs: Set<String> = {
    do {
        return Set(try TemplateCatalog.bundled().ids)
    } catch {
        fatalError("fuzz harness: bundled templates do not load: \(error)")
    }
}()

/// One directory per fuzzing process, in memory when /dev/shm exists.
private let scratch: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let url = URL(fileURLWithPath: base).appendingPathComponent("grille-fuzz-roster-\(getpid())", isDirectory: true)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: scratch) }
    return url
}()

private func check(_ roster: Roster) {
    for evaluator in roster.evaluators {
        invariant(evaluator.establishment.map { roster.establishment($0) != nil } ?? true, "evaluator of an unknown establishment")
    }
    for commission in roster.commissions {
        invariant(roster.establishment(commission.establishment) != nil, "commission of an unknown establishment")
        invariant(templateIDs.contains(commission.template), "commission with an unknown template")
        invariant(!commission.members.isEmpty && Set(commission.members).count == commission.members.count, "commission members empty or repeated")
        for member in commission.members {
            invariant(roster.evaluator(member) != nil, "unknown commission member")
        }
    }
    for registration in roster.registrations {
        guard let candidate = roster.candidate(registration.candidate),
              let commission = roster.commission(registration.commission)
        else {
            invariant(false, "registration of an unknown candidate or commission")
            return
        }
        invariant(candidate.establishment == commission.establishment, "candidate registered outside their establishment")
    }
    invariant(Set(roster.registrations).count == roster.registrations.count, "registration listed twice")
}

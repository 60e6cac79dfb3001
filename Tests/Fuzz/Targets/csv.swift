// libFuzzer target `csv`: the RFC 4180 reader behind every roster file (Sources/Shared/Domain/CSV.swift,
// CSVParser.swift), on its own so the fuzzer spends its time in the state machine.
//
// The input is one file's bytes, read with the default limits and with tiny ones (so the row, field
// and size refusals are reachable). What parses must come back unchanged through `CSV.encode`, as its
// documentation promises for rows of at least one field, and every error must point at a line of
// the file.
import Shared

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = inputBytes(data, size)
    let lines = bytes.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    for limits in [CSVLimits.default, tinyLimits] {
        let rows: [[String]]
        do {
            rows = try CSV.parse(bytes, limits: limits)
        } catch {
            invariant(error.line >= 1 && error.line <= lines, "error on line \(error.line) of a \(lines)-line file")
            invariant(error.column >= 1, "error in column \(error.column)")
            invariant(!error.message.isEmpty, "error without a message")
            continue
        }
        invariant(rows.count <= limits.maxRows, "\(rows.count) rows accepted")
        for row in rows {
            invariant(!row.isEmpty, "a record without fields")
            invariant(row.count <= limits.maxFieldsPerRow, "\(row.count) fields accepted")
            for field in row {
                invariant(field.utf8.count <= limits.maxFieldBytes, "field of \(field.utf8.count) bytes accepted")
                invariant(!field.utf8.contains(0), "NUL in a field")
            }
        }
        let encoded = Array(CSV.encode(rows).utf8)
        guard let again = try? CSV.parse(encoded) else {
            invariant(false, "CSV.encode wrote a file CSV.parse refuses")
            continue
        }
        invariant(again == rows, "rows change through CSV.encode and CSV.parse")
        _ = CSV.encode(rows, separator: UInt8(ascii: ";"), neutraliseFormulas: true)
    }
    return 0
}

private let tinyLimits = CSVLimits(maxBytes: 512, maxRows: 6, maxFieldsPerRow: 5, maxFieldBytes: 24)

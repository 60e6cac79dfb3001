import Foundation
import Shared

/// CSV files written for coordinators: RFC 4180 (`CSV.encode`), either plain (`,`, decimal point, no BOM:
/// for programs) or French Excel (`;`, decimal comma, UTF-8 byte-order mark so Excel reads the accents).
/// Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get
/// a leading `'` in both modes (CSV injection, https://owasp.org/www-community/attacks/CSV_Injection);
/// number cells are written by Grille itself and left as they are, so a negative number stays a number.
enum CSVExport {
    enum Cell: Sendable, Equatable {
        case text(String)
        /// A decimal number already rounded to `digits` decimals.
        case number(Double, digits: Int)
        case integer(Int)
        case empty
    }

    struct Dialect: Sendable {
        let separator: UInt8
        let decimalComma: Bool
        let byteOrderMark: Bool

        static let plain = Dialect(separator: UInt8(ascii: ","), decimalComma: false, byteOrderMark: false)
        static let frenchExcel = Dialect(separator: UInt8(ascii: ";"), decimalComma: true, byteOrderMark: true)
    }

    static func encode(header: [String], rows: [[Cell]], dialect: Dialect) -> String {
        let lines = [header.map(neutralised)] + rows.map { row in row.map { render($0, dialect: dialect) } }
        let body = CSV.encode(lines, separator: dialect.separator, neutraliseFormulas: false)
        return (dialect.byteOrderMark ? "\u{FEFF}" : "") + body
    }

    static func render(_ cell: Cell, dialect: Dialect) -> String {
        switch cell {
        case .text(let text): return neutralised(text)
        case .integer(let value): return String(value)
        case .empty: return ""
        case .number(let value, let digits):
            let text = String(format: "%.\(digits)f", value)
            return dialect.decimalComma ? text.replacingOccurrences(of: ".", with: ",") : text
        }
    }

    /// A note in half-points: « 14,5 » or « 14.5 », « 15 ».
    static func note(_ halfPoints: Int?) -> Cell {
        guard let halfPoints else { return .empty }
        return halfPoints % 2 == 0 ? .integer(halfPoints / 2) : .number(Double(halfPoints) / 2, digits: 1)
    }

    private static let formulaTriggers: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    static func neutralised(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, formulaTriggers.contains(first) else { return text }
        return "'" + text
    }
}

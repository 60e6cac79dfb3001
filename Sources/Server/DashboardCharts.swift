import Foundation
import Shared

/// SVG charts drawn by the server (no JavaScript chart library): each is an `<svg role="img">` with a
/// title and a description naming its values, and the page puts the same numbers in a table beside it.
/// Colours come from the sequential palette below, so the order of the levels reads without colour too;
/// segment labels are written inside wide enough segments.
enum DashboardChart {
    /// Fill and text colour of each level, lightest (TI) to darkest (TS).
    static let levelPalette: [(fill: String, text: String)] = [
        ("#d9e7f5", "#0b2545"), ("#8fb8de", "#0b2545"), ("#2f6fb0", "#ffffff"), ("#0b3a6f", "#ffffff"),
    ]

    static func levelColours(_ count: Int, index: Int) -> (fill: String, text: String) {
        guard count > 0 else { return levelPalette[0] }
        let position = count == 1 ? levelPalette.count - 1 : index * (levelPalette.count - 1) / max(1, count - 1)
        return levelPalette[min(position, levelPalette.count - 1)]
    }

    struct Segment {
        let label: String
        let value: Int
        let fill: String
        let text: String
    }

    struct Row {
        let label: String
        let segments: [Segment]
        /// Rows drawn in bold (the academy's).
        var emphasis = false
    }

    /// A fresh id for `aria-labelledby` (unique within a page).
    static func newID(_ prefix: String) -> String {
        "\(prefix)-\(SecureRandom.hex(4))"
    }

    static func esc(_ text: String) -> String { HTML.escape(text) }

    /// Horizontal 100 % stacked bars, one per row, with the row's total at the end and a legend.
    static func stackedBars(title: String, rows: [Row], legend: [(label: String, fill: String)], labelWidth: Int = 260) -> String {
        let id = newID("chart")
        let barWidth = 560, barHeight = 22, gap = 8, top = 34
        let width = labelWidth + barWidth + 70
        let height = top + rows.count * (barHeight + gap) + 10
        var svg = """
            <svg class="chart" role="img" aria-labelledby="\(id)-t \(id)-d" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" xmlns="http://www.w3.org/2000/svg">
            <title id="\(id)-t">\(esc(title))</title>
            <desc id="\(id)-d">\(esc(rows.map { row in "\(row.label) : " + row.segments.map { "\($0.label) \($0.value)" }.joined(separator: ", ") }.joined(separator: " ; ")))</desc>

            """
        var x = labelWidth
        for item in legend {
            svg += "<rect x=\"\(x)\" y=\"6\" width=\"14\" height=\"14\" fill=\"\(item.fill)\" stroke=\"#5b6b7f\" stroke-width=\"0.5\"/>"
            svg += "<text x=\"\(x + 19)\" y=\"18\" class=\"legend\">\(esc(item.label))</text>\n"
            x += 30 + item.label.count * 8
        }
        for (index, row) in rows.enumerated() {
            let y = top + index * (barHeight + gap)
            let total = row.segments.reduce(0) { $0 + $1.value }
            let weight = row.emphasis ? " font-weight=\"bold\"" : ""
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 16)\" text-anchor=\"end\" class=\"label\"\(weight)>\(esc(truncated(row.label, width: labelWidth)))</text>\n"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(barHeight)\" fill=\"#f3f5f8\" stroke=\"#c5ced8\" stroke-width=\"0.5\"/>\n"
            var offset = 0.0
            for segment in row.segments where segment.value > 0 && total > 0 {
                let w = Double(barWidth) * Double(segment.value) / Double(total)
                let sx = Double(labelWidth) + offset
                svg += "<rect x=\"\(format(sx))\" y=\"\(y)\" width=\"\(format(w))\" height=\"\(barHeight)\" fill=\"\(segment.fill)\"><title>\(esc("\(segment.label) : \(segment.value) sur \(total)"))</title></rect>\n"
                let percent = Int((Double(segment.value) * 100 / Double(total)).rounded())
                if w >= 34 {
                    svg += "<text x=\"\(format(sx + w / 2))\" y=\"\(y + 15)\" text-anchor=\"middle\" fill=\"\(segment.text)\" class=\"value\">\(percent) %</text>\n"
                }
                offset += w
            }
            svg += "<text x=\"\(labelWidth + barWidth + 8)\" y=\"\(y + 16)\" class=\"total\">n = \(total)</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// A histogram of counts per whole point (0…max) with vertical marks (means) drawn over it.
    static func histogram(title: String, buckets: [Int], marks: [(label: String, value: Double, colour: String)], axisLabel: String) -> String {
        let id = newID("hist")
        let left = 44, bottom = 44, top = 30, plotWidth = 640, plotHeight = 200
        let width = left + plotWidth + 20, height = top + plotHeight + bottom
        let highest = max(1, buckets.max() ?? 1)
        let step = niceStep(highest)
        let scaleMax = ((highest + step - 1) / step) * step
        let slot = Double(plotWidth) / Double(max(1, buckets.count))
        var svg = """
            <svg class="chart" role="img" aria-labelledby="\(id)-t \(id)-d" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" xmlns="http://www.w3.org/2000/svg">
            <title id="\(id)-t">\(esc(title))</title>
            <desc id="\(id)-d">\(esc(buckets.enumerated().filter { $0.element > 0 }.map { "\($0.offset) : \($0.element)" }.joined(separator: ", ")))</desc>

            """
        for tick in stride(from: 0, through: scaleMax, by: step) {
            let y = Double(top + plotHeight) - Double(plotHeight) * Double(tick) / Double(scaleMax)
            svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(format(y))\" y2=\"\(format(y))\" stroke=\"#e1e6ec\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(format(y + 4))\" text-anchor=\"end\" class=\"axis\">\(tick)</text>\n"
        }
        for (index, count) in buckets.enumerated() {
            let x = Double(left) + Double(index) * slot
            if count > 0 {
                let h = Double(plotHeight) * Double(count) / Double(scaleMax)
                svg += "<rect x=\"\(format(x + 2))\" y=\"\(format(Double(top + plotHeight) - h))\" width=\"\(format(slot - 4))\" height=\"\(format(h))\" fill=\"#2f6fb0\"><title>\(esc("\(index) à \(index + 1) points : \(count)"))</title></rect>\n"
            }
            svg += "<text x=\"\(format(x + slot / 2))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\" class=\"axis\">\(index)</text>\n"
        }
        svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(top + plotHeight)\" y2=\"\(top + plotHeight)\" stroke=\"#334155\"/>\n"
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\" class=\"axis\">\(esc(axisLabel))</text>\n"
        for (index, mark) in marks.enumerated() {
            let x = Double(left) + mark.value * slot
            svg += "<line x1=\"\(format(x))\" x2=\"\(format(x))\" y1=\"\(top - 6)\" y2=\"\(top + plotHeight)\" stroke=\"\(mark.colour)\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>"
            svg += "<text x=\"\(format(x + 4))\" y=\"\(top - 10 + index * 0)\" class=\"mark\" fill=\"\(mark.colour)\"\(index % 2 == 1 ? " text-anchor=\"end\" dx=\"-8\"" : "")>\(esc(mark.label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Horizontal bars of a mean on 0…`maximum`, one per row, with a vertical reference line (the
    /// academy mean).
    static func meanBars(title: String, rows: [(label: String, mean: Double?, n: Int)], maximum: Double,
                         reference: (label: String, value: Double)?, labelWidth: Int = 300) -> String {
        let id = newID("means")
        let barWidth = 480, barHeight = 20, gap = 10, top = 30
        let width = labelWidth + barWidth + 110, height = top + rows.count * (barHeight + gap) + 24
        var svg = """
            <svg class="chart" role="img" aria-labelledby="\(id)-t \(id)-d" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" xmlns="http://www.w3.org/2000/svg">
            <title id="\(id)-t">\(esc(title))</title>
            <desc id="\(id)-d">\(esc(rows.map { "\($0.label) : \($0.mean.map { Fixed.french($0) } ?? "aucune note") (n = \($0.n))" }.joined(separator: " ; ")))</desc>

            """
        for tick in stride(from: 0.0, through: maximum, by: maximum / 4) {
            let x = Double(labelWidth) + Double(barWidth) * tick / maximum
            svg += "<line x1=\"\(format(x))\" x2=\"\(format(x))\" y1=\"\(top - 4)\" y2=\"\(height - 20)\" stroke=\"#e1e6ec\"/>"
            svg += "<text x=\"\(format(x))\" y=\"\(height - 6)\" text-anchor=\"middle\" class=\"axis\">\(Fixed.french(tick, digits: 0))</text>\n"
        }
        for (index, row) in rows.enumerated() {
            let y = top + index * (barHeight + gap)
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 15)\" text-anchor=\"end\" class=\"label\">\(esc(truncated(row.label, width: labelWidth)))</text>\n"
            if let mean = row.mean {
                let w = Double(barWidth) * min(mean, maximum) / maximum
                svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(format(w))\" height=\"\(barHeight)\" fill=\"#2f6fb0\"/>"
                svg += "<text x=\"\(format(Double(labelWidth) + w + 6))\" y=\"\(y + 15)\" class=\"total\">\(Fixed.french(mean)) (n = \(row.n))</text>\n"
            } else {
                svg += "<text x=\"\(labelWidth + 6)\" y=\"\(y + 15)\" class=\"total\">aucune note</text>\n"
            }
        }
        if let reference {
            let x = Double(labelWidth) + Double(barWidth) * min(reference.value, maximum) / maximum
            svg += "<line x1=\"\(format(x))\" x2=\"\(format(x))\" y1=\"\(top - 8)\" y2=\"\(height - 20)\" stroke=\"#b45309\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>"
            svg += "<text x=\"\(format(x + 4))\" y=\"\(top - 12)\" class=\"mark\" fill=\"#b45309\">\(esc(reference.label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func format(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    static func niceStep(_ highest: Int) -> Int {
        for step in [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000] where highest / step <= 6 { return step }
        return max(1, highest / 5)
    }

    /// Cuts a label that would not fit in `width` pixels (about 7 px per character).
    static func truncated(_ text: String, width: Int) -> String {
        let limit = max(8, width / 7)
        return text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}

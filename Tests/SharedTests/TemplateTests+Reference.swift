import Foundation
import Testing
@testable import Shared

extension TemplateTests {
    /// The bundled labels against the official texts: `shared/reference/GRIDS.md` for NDRC and
    /// the seed for MCV, both read from `<repo>/../shared`. A missing file fails the test.
    @Suite struct Reference {
        let catalog: TemplateCatalog

        init() throws {
            catalog = try TemplateCatalog.bundled()
        }

        static let shared = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // SharedTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the repository
            .deletingLastPathComponent()
            .appendingPathComponent("shared")

        static func read(_ relativePath: String) throws -> String {
            let url = shared.appendingPathComponent(relativePath)
            try #require(FileManager.default.fileExists(atPath: url.path),
                         "\(url.path) is missing: the reference texts must sit beside the repository")
            return try String(contentsOf: url, encoding: .utf8)
        }

        // MARK: GRIDS.md

        struct ReferenceBlock {
            var id: String?
            var label: String?
            var situationLabel: String?
            var criteria: [Criterion] = []
        }

        typealias Section = (heading: String, text: String, blocks: [ReferenceBlock])

        struct Criterion {
            var label: String
            var indicators: String?
        }

        /// Sections of GRIDS.md by heading: the text (lines joined by spaces) and the blocks with
        /// their numbered criteria. Numbered lines before any `Block` line form a block without id
        /// whose labels are whole lines (EF2).
        static func parseGrids(_ markdown: String) throws -> [Section] {
            var sections: [Section] = []
            for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                if line.hasPrefix("## ") {
                    sections.append((String(line.dropFirst(3)), "", []))
                    continue
                }
                guard !sections.isEmpty else { continue }
                sections[sections.count - 1].text += line + " "
                if line.hasPrefix("Block `") {
                    let parts = line.split(separator: "`", maxSplits: 2)
                    let rest = try #require(parts.count == 3 ? String(parts[2]) : nil, "bad block line: \(line)")
                    let title = try #require(rest.hasPrefix(" — ") ? String(rest.dropFirst(3)) : nil, "bad block line: \(line)")
                    let (label, situation) = splitTrailingParenthesis(title)
                    sections[sections.count - 1].blocks.append(ReferenceBlock(id: String(parts[1]), label: label, situationLabel: situation))
                } else if let match = line.wholeMatch(of: /(\d+)\. (.+)/) {
                    if sections[sections.count - 1].blocks.isEmpty { sections[sections.count - 1].blocks.append(ReferenceBlock()) }
                    let last = sections[sections.count - 1].blocks.count - 1
                    var block = sections[sections.count - 1].blocks[last]
                    #expect(Int(match.1) == block.criteria.count + 1, "numbering in GRIDS.md: \(line)")
                    if block.id == nil {
                        block.criteria.append(Criterion(label: String(match.2)))
                    } else {
                        let (label, indicators) = splitTrailingParenthesis(String(match.2))
                        block.criteria.append(Criterion(label: label, indicators: indicators))
                    }
                    sections[sections.count - 1].blocks[last] = block
                }
            }
            return sections
        }

        /// "Label (text, with (nested) parts)" → ("Label", "text, with (nested) parts").
        static func splitTrailingParenthesis(_ line: String) -> (String, String?) {
            guard line.hasSuffix(")") else { return (line, nil) }
            var depth = 0
            var index = line.endIndex
            while index > line.startIndex {
                index = line.index(before: index)
                if line[index] == ")" { depth += 1 }
                if line[index] == "(" { depth -= 1 }
                if depth == 0 {
                    let label = line[..<index].trimmingCharacters(in: .whitespaces)
                    let inner = line[line.index(after: index)..<line.index(before: line.endIndex)]
                    return (label, String(inner))
                }
            }
            return (line, nil)
        }

        func section(_ sections: [Section], _ prefix: String) throws -> Section {
            try #require(sections.first { $0.heading.hasPrefix(prefix) }, "GRIDS.md has no section « \(prefix) »")
        }

        @Test(arguments: [("BTS NDRC — E4 ", "ndrc-e4-ccf"), ("BTS NDRC — E6 ", "ndrc-e6-ccf")])
        func ndrcBlocksCriteriaAndIndicatorsEqualGridsMarkdown(heading: String, id: String) throws {
            let sections = try Self.parseGrids(try Self.read("reference/GRIDS.md"))
            let reference = try section(sections, heading)
            let template = try #require(catalog[id])
            #expect(reference.blocks.count >= 3)
            #expect(template.blocks.map(\.id) == reference.blocks.map(\.id))
            for (block, expected) in zip(template.blocks, reference.blocks) {
                #expect(block.label == expected.label, "\(block.id)")
                #expect(block.situationLabel == expected.situationLabel, "\(block.id)")
                #expect(block.criteria.count == expected.criteria.count, "\(block.id)")
                for (criterion, reference) in zip(block.criteria, expected.criteria) {
                    #expect(criterion.label == reference.label, "\(criterion.id)")
                    #expect(criterion.indicators == reference.indicators, "\(criterion.id)")
                }
            }
            #expect(reference.heading.contains("\(template.epreuve) \(template.title) ("))
        }

        @Test func ef2CriteriaEqualGridsMarkdown() throws {
            let sections = try Self.parseGrids(try Self.read("reference/GRIDS.md"))
            let reference = try section(sections, "BTS NDRC — EF2 ")
            let template = try #require(catalog["ndrc-ef2"])
            #expect(template.blocks.map(\.id) == ["engagement"])
            let criteria = try #require(reference.blocks.first).criteria
            #expect(criteria.count == 9)
            #expect(template.blocks[0].criteria.count == criteria.count)
            for (criterion, reference) in zip(template.blocks[0].criteria, criteria) {
                #expect(criterion.label == reference.label, "\(criterion.id)")
                #expect(criterion.indicators == nil, "\(criterion.id)")
            }
            #expect(template.blocks[0].criteria.map(\.id) == (1...9).map { "engagement.\($0)" })
            #expect(reference.heading.contains("\(template.epreuve) \(template.title) ("))
            let names = try #require(reference.text.firstMatch(of: /named ([^:]+):/)).1
            #expect(template.scale.map(\.name) == names.components(separatedBy: " / "))
        }

        @Test func scaleConfidentialityAndIdsEqualGridsMarkdown() throws {
            let markdown = try Self.read("reference/GRIDS.md")
            let text = markdown.replacing("\n", with: " ")
            let scaleText = try #require(text.firstMatch(of: /Level scale used by every grid below unless stated: ([^.]+)\./)).1
            let scale = scaleText.matches(of: /`([A-Z]+)` ([^,`]+)/).map {
                Template.Level(code: String($0.1), label: $0.2.trimmingCharacters(in: .whitespaces))
            }
            #expect(scale.count == 4)
            for template in catalog.templates {
                #expect(template.scale.map { Template.Level(code: $0.code, label: $0.label) } == scale, "\(template.id)")
            }

            let confidentiality = try #require(text.firstMatch(of: /confidential: "([^"]+)"/)).1
            #expect(catalog["ndrc-e4-ccf"]?.confidentiality == String(confidentiality))
            #expect(catalog["ndrc-e6-ccf"]?.confidentiality == String(confidentiality))

            var versions: [String: String?] = [:]
            for line in markdown.split(separator: "\n") where line.hasPrefix("| `") {
                let firstCell = line.split(separator: "|")[0]
                let tokens = firstCell.matches(of: /`([^`]+)`/).map { String($0.1) }
                versions[tokens[0]] = tokens.count > 1 ? tokens[1] : nil
            }
            #expect(versions.keys.sorted() == catalog.ids)
            for (id, version) in versions {
                if let version { #expect(catalog[id]?.version == version, "\(id)") }
            }
        }

        // MARK: MCV seed

        struct SeedMeta {
            var heading: String
            var competences: [String] = []
            var paragraphs: [String] = []
        }

        static func clean(_ html: some StringProtocol) -> String {
            String(html).replacing(/<[^>]*>/, with: " ").replacing(/\s+/, with: " ").trimmingCharacters(in: .whitespaces)
        }

        /// The seed's table rows (`competences<TAB>evaluation`): a numbered upper-case meta-competence,
        /// then its `✓` competences; evaluation paragraphs are `<p>…</p>`.
        static func parseSeed(_ text: String) -> (header: [String], metas: [SeedMeta]) {
            var header: [String] = []
            var metas: [SeedMeta] = []
            for line in text.split(separator: "\n") {
                let columns = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                guard columns.count == 2 else {
                    if !clean(line).isEmpty { header.append(clean(line)) }
                    continue
                }
                let left = clean(columns[0])
                if let match = left.wholeMatch(of: /(\d+)\. (.+)/) {
                    metas.append(SeedMeta(heading: String(match.2)))
                } else if !metas.isEmpty {
                    metas[metas.count - 1].competences += left.split(separator: "✓").map(clean).filter { !$0.isEmpty }
                }
                if !metas.isEmpty {
                    metas[metas.count - 1].paragraphs += columns[1].matches(of: /<p>(.*?)<\/p>/).map { clean($0.1) }
                }
            }
            return (header, metas)
        }

        @Test func mcvEqualsTheSeedAfterHTMLCleanUp() throws {
            let seed = Self.parseSeed(try Self.read("seeds/004_882ff0377c533cbe.txt"))
            let mcv = try #require(catalog["mcv-b-e2"])
            #expect(seed.metas.count == 5)
            #expect(mcv.blocks.count == seed.metas.count)
            for (block, meta) in zip(mcv.blocks, seed.metas) {
                #expect(block.label.uppercased() == meta.heading, "sentence case of the seed's upper-case heading")
                #expect(block.label.first?.isUppercase == true)
                #expect(block.label.dropFirst() == block.label.dropFirst().lowercased())
                #expect(block.criteria.map(\.label) == meta.competences)
                #expect(block.criteria.map(\.id) == block.criteria.indices.map { "\(block.id).\($0 + 1)" })
                // The seed sometimes merges a criterion and its indicators in one paragraph: the
                // words and their order must match, whatever the split.
                let evaluation = block.evaluation.map { [$0.label, $0.indicators].compactMap(\.self).joined(separator: " ") }
                #expect(evaluation.joined(separator: " ") == meta.paragraphs.joined(separator: " "))
            }
            #expect(seed.header.count >= 4)
            #expect(mcv.diploma == "\(seed.header[0]), \(seed.header[1].replacing("Option : ", with: "option "))")
            #expect(seed.header[2] == "Épreuve \(mcv.epreuve) : \(mcv.title)")
            #expect(mcv.form == seed.header[3])
        }
    }
}

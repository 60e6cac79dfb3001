import Foundation
import Testing
@testable import Shared

extension TemplateTests {
    /// Malformed template files, written into a temporary directory and loaded as a catalog:
    /// each is rejected with the file name and the JSON path of the faulty value.
    @Suite struct Malformed {
        struct Case: Sendable, CustomTestStringConvertible {
            let name: String
            let files: [String: String]
            let file: String
            let field: String
            var testDescription: String { name }

            init(_ name: String, _ json: String, field: String) {
                self.init(name, files: ["t.json": json], file: "t.json", field: field)
            }

            init(_ name: String, files: [String: String], file: String, field: String) {
                self.name = name
                self.files = files
                self.file = file
                self.field = field
            }
        }

        // MARK: Factories of a small valid template; each case changes one fragment.

        static let header = #""id": "t", "version": "1", "title": "Titre", "epreuve": "E0", "diploma": "Diplôme", "form": "Annexe", "confidentiality": null"#
        static let scale = #"[{"code": "TI", "label": "Très insuffisant"}, {"code": "S", "label": "Satisfaisant", "name": null}]"#
        static let aCriteria = #"[{"id": "a.1", "label": "Critère a1", "indicators": "Indicateurs, en une phrase"}, {"id": "a.2", "label": "Critère a2"}]"#

        static func block(_ id: String, label: String = #""Bloc""#, criteria: String? = nil) -> String {
            let criteria = criteria ?? #"[{"id": "\#(id).1", "label": "Critère"}]"#
            return #"{"id": "\#(id)", "label": \#(label), "criteria": \#(criteria)}"#
        }

        static let blocks = "[\(block("a", criteria: aCriteria)), \(block("b")), \(block("c"))]"

        static func situation(
            _ id: String = "final", multiple: String = "false", blocks: String = #"["a"]"#,
            alternatives: String = #"[["b", "c"]]"#, fields: String = #"["option", "note"]"#, note: String = "true"
        ) -> String {
            #"{"id": "\#(id)", "label": "Situation", "multiple": \#(multiple), "blocks": \#(blocks), "alternatives": \#(alternatives), "fields": \#(fields), "note": \#(note)}"#
        }

        static let interview = situation("A", multiple: "true", alternatives: "[]", fields: #"["date"]"#, note: "false")

        static func make(
            header: String = header, scale: String = scale, note: String = #"{"max": 20, "step": 0.5}"#,
            blocks: String = blocks, situations: [String]? = nil
        ) -> String {
            let situations = situations ?? [interview, situation()]
            return #"{\#(header), "scale": \#(scale), "note": \#(note), "blocks": \#(blocks), "situations": [\#(situations.joined(separator: ", "))]}"#
        }

        static let cases: [Case] = [
            Case("JSON syntax error", #"{"id": "t", "version": "#, field: ""),
            Case("array instead of object", "[]", field: ""),
            Case("missing id", make(header: #""version": "1", "title": "T", "epreuve": "E0", "diploma": "D", "form": "F""#), field: "id"),
            Case("empty title", make(header: header.replacing(#""title": "Titre""#, with: #""title": " ""#)), field: "title"),
            Case("block label is a number", make(blocks: "[\(block("a", label: "3", criteria: aCriteria)), \(block("b")), \(block("c"))]"),
                 field: "blocks[0].label"),
            Case("criterion label is null",
                 make(blocks: "[\(block("a", criteria: #"[{"id": "a.1", "label": null}]"#)), \(block("b")), \(block("c"))]"),
                 field: "blocks[0].criteria[0].label"),
            Case("misspelt optional key",
                 make(blocks: "[\(block("a", criteria: #"[{"id": "a.1", "label": "L", "indicateurs": "x"}]"#)), \(block("b")), \(block("c"))]"),
                 field: "blocks[0].criteria[0].indicateurs"),
            Case("blank block label", make(blocks: "[\(block("a", criteria: aCriteria)), \(block("b", label: #""  ""#)), \(block("c"))]"),
                 field: "blocks[1].label"),
            Case("duplicate block id", make(blocks: "[\(block("a", criteria: aCriteria)), \(block("b")), \(block("c")), \(block("b"))]"),
                 field: "blocks[3].id"),
            Case("duplicate criterion id",
                 make(blocks: "[\(block("a", criteria: #"[{"id": "a.1", "label": "L"}, {"id": "a.1", "label": "M"}]"#)), \(block("b")), \(block("c"))]"),
                 field: "blocks[0].criteria[1].id"),
            Case("criterion numbering gap",
                 make(blocks: "[\(block("a", criteria: #"[{"id": "a.1", "label": "L"}, {"id": "a.3", "label": "M"}]"#)), \(block("b")), \(block("c"))]"),
                 field: "blocks[0].criteria[1].id"),
            Case("criterion named after another block",
                 make(blocks: "[\(block("a", criteria: #"[{"id": "b.1", "label": "L"}]"#)), \(block("b")), \(block("c"))]"),
                 field: "blocks[0].criteria[0].id"),
            Case("block without criteria", make(blocks: "[\(block("a", criteria: aCriteria)), \(block("b", criteria: "[]")), \(block("c"))]"),
                 field: "blocks[1].criteria"),
            Case("block used by no situation", make(blocks: "[\(block("a", criteria: aCriteria)), \(block("b")), \(block("c")), \(block("d"))]"),
                 field: "blocks[3].id"),
            Case("situation references an unknown block", make(situations: [interview, situation(blocks: #"["a", "z"]"#)]),
                 field: "situations[1].blocks[1]"),
            Case("alternative references an unknown block", make(situations: [interview, situation(alternatives: #"[["b", "z"]]"#)]),
                 field: "situations[1].alternatives[0][1]"),
            Case("overlapping alternatives", make(situations: [interview, situation(alternatives: #"[["b", "c"], ["c", "b"]]"#)]),
                 field: "situations[1].alternatives[1][0]"),
            Case("block both fixed and alternative", make(situations: [interview, situation(blocks: #"["a", "b"]"#)]),
                 field: "situations[1].alternatives[0][0]"),
            Case("alternatives without the option field", make(situations: [interview, situation(fields: #"["note"]"#)]),
                 field: "situations[1].fields"),
            Case("unknown field id", make(situations: [situation("A", multiple: "true", alternatives: "[]", fields: #"["date", "signature"]"#, note: "false"), situation()]),
                 field: "situations[0].fields[1]"),
            Case("note field without note flag", make(situations: [interview, situation(note: "false")]),
                 field: "situations[1].fields"),
            Case("note flag without note scale", make(note: "null"), field: "situations[1].note"),
            Case("multiple is not a boolean", make(situations: [situation("A", multiple: #""yes""#, alternatives: "[]", fields: "[]", note: "false"), situation()]),
                 field: "situations[0].multiple"),
            Case("duplicate situation id", make(situations: [interview, situation("A")]), field: "situations[1].id"),
            Case("situation id with a dash", make(situations: [situation("A-1", alternatives: "[]", fields: "[]", note: "false"), situation()]),
                 field: "situations[0].id"),
            Case("empty scale", make(scale: "[]"), field: "scale"),
            Case("duplicate level code", make(scale: #"[{"code": "S", "label": "Satisfaisant"}, {"code": "S", "label": "Encore"}]"#),
                 field: "scale[1].code"),
            Case("note step 0", make(note: #"{"max": 20, "step": 0}"#), field: "note.step"),
            Case("note step not dividing max", make(note: #"{"max": 20, "step": 3}"#), field: "note.step"),
            Case("note max is a string", make(note: #"{"max": "20", "step": 0.5}"#), field: "note.max"),
            Case("duplicate template id across two files", files: ["one.json": make(), "two.json": make()], file: "two.json", field: "id"),
            Case("second file broken", files: ["a.json": make(), "b.json": make(header: header.replacing(#""version": "1""#, with: #""version": 1"#))],
                 file: "b.json", field: "version"),
        ]

        /// Writes `files` into a fresh temporary directory, loads it, and removes it.
        static func load(_ files: [String: String]) throws -> Result<TemplateCatalog, TemplateError> {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grille-templates-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            for (name, json) in files {
                try Data(json.utf8).write(to: directory.appendingPathComponent(name))
            }
            try Data("not a template".utf8).write(to: directory.appendingPathComponent("README.txt"))
            return Result { () throws(TemplateError) in try TemplateCatalog.load(directory: directory) }
        }

        @Test func theBaseTemplateIsValid() throws {
            let catalog = try Self.load(["t.json": Self.make()]).get()
            #expect(catalog.ids == ["t"])
            let template = try #require(catalog["t"])
            let final = try #require(template.situation("final"))
            #expect(template.requiredCriteria(situation: final, option: "c").map(\.id) == ["a.1", "a.2", "c.1"])
            #expect(template.criterion("a.1")?.indicators == "Indicateurs, en une phrase")
        }

        @Test(arguments: cases)
        func malformedTemplateIsRejectedWithFileAndField(_ test: Case) throws {
            let result = try Self.load(test.files)
            guard case .failure(let error) = result else {
                Issue.record("\(test.name): the template was accepted")
                return
            }
            #expect(error.file == test.file, "\(error)")
            #expect(error.field == test.field, "\(error)")
            #expect(!error.message.isEmpty)
        }
    }
}

import Testing
import TestSupport
@testable import Shared

@Suite struct GridViewTests {
    static let template = try! TemplateCatalog.bundled()["ndrc-e4-ccf"]!
    static let grid = GridID(template: "ndrc-e4-ccf", session: "2026", candidate: "02614001", situation: "final")

    /// A small replica: events written in order, each seeing the heads of its field.
    struct Replica {
        var events: [Event] = []
        var wall: Int64 = 1_000
        mutating func write(_ field: String, _ value: JSONValue, by author: String = "ev-0101", device: String = "dev-a", seeing: Bool = true) {
            wall += 1
            let heads = seeing ? (Merge.fieldState(events.filter { $0.field == field })?.heads.map(\.id) ?? []) : []
            events.append(Event(id: "e\(events.count)-\(device)", entity: GridViewTests.grid.entity, field: field, value: value,
                                hlc: HybridLogicalClock(wall: wall, counter: 0, device: device), author: author, prev: heads))
        }
        func view() throws -> GridView {
            var fields: [String: FieldState] = [:]
            for (key, state) in Merge.fold(events) { fields[key.field] = state }
            return try GridView(id: GridViewTests.grid, template: GridViewTests.template, fields: fields)
        }
        mutating func fillEvenement() {
            write("option", "evenement")
            for c in ["prospection.1", "prospection.2", "prospection.3", "prospection.4", "evenement.1", "evenement.2", "evenement.3", "information.1", "information.2"] {
                write("level/\(c)", "S")
            }
            write("note", 29)
        }
    }

    @Test func aCompleteGridIsReadyToSignAndItsSignatureIsValid() throws {
        var replica = Replica()
        replica.fillEvenement()
        let view = try replica.view()
        #expect(view.missing.isEmpty)
        #expect(view.signingBlockers.isEmpty)
        #expect(view.status == "ready_to_sign")
        replica.write("signature/ev-0101", .object(["content": .string(view.signedContentHash)]))
        #expect(try replica.view().status == "signed")
        #expect(try replica.view().signatures.first?.valid == true)
    }

    @Test func aLevelOfTheOtherOptionFromAnotherReplicaIsOutOfScopeAndNotSigned() throws {
        var replica = Replica()
        replica.fillEvenement()
        let before = try replica.view().signedContentHash
        replica.write("level/negociation.1", "TS", by: "ev-0102", device: "dev-b")
        let view = try replica.view()
        #expect(view.outOfScope == ["negociation.1"])
        #expect(view.levels["negociation.1"] == "TS")
        #expect(view.signedContentHash == before)
        #expect(view.signedContent["levels"]?["negociation.1"] == nil)
        #expect(view.signingBlockers.isEmpty)
    }

    @Test func changingTheOptionMovesTheRequiredCriteria() throws {
        var replica = Replica()
        replica.fillEvenement()
        replica.write("option", "negociation")
        let view = try replica.view()
        #expect(view.missing == ["negociation.1", "negociation.2"])
        #expect(view.outOfScope == ["evenement.1", "evenement.2", "evenement.3"])
    }

    @Test func aConflictOnASignedFieldBlocksSigningAndInvalidatesSignatures() throws {
        var replica = Replica()
        replica.fillEvenement()
        replica.write("signature/ev-0101", .object(["content": .string(try replica.view().signedContentHash)]))
        // The other jury member changes a level without having seen the last write: a conflict.
        replica.write("level/prospection.2", "TS", by: "ev-0102", device: "dev-b", seeing: false)
        let view = try replica.view()
        #expect(view.conflicts.map(\.key.field) == ["level/prospection.2"])
        #expect(view.signingBlockers.contains { $0.contains("conflit ouvert sur : level/prospection.2") })
        #expect(view.signatures.first?.valid == false)
        #expect(view.status == "to_resign")
        // Writing the field again having seen both heads resolves it.
        replica.write("level/prospection.2", "S")
        let resolved = try replica.view()
        #expect(resolved.conflicts.isEmpty)
        #expect(resolved.status == "signed")
    }

    @Test func anUnconfirmedPrefillBlocksSigning() throws {
        var replica = Replica()
        replica.fillEvenement()
        replica.write("prefill/prospection.1", "S")
        #expect(try replica.view().signingBlockers.contains { $0.contains("pré-remplies") })
        replica.write("prefill/prospection.1", .null)
        #expect(try replica.view().signingBlockers.isEmpty)
    }

    @Test func aTombstoneClearsALevel() throws {
        var replica = Replica()
        replica.fillEvenement()
        replica.write("level/information.2", .null)
        let view = try replica.view()
        #expect(view.missing == ["information.2"])
        #expect(view.status == "in_progress")
    }

    @Test func anInterviewGridIsNeverSigned() throws {
        let id = GridID(template: "ndrc-e4-ccf", session: "2026", candidate: "02614001", situation: "A-1234")
        let view = try GridView(id: id, template: Self.template, fields: [:])
        #expect(view.situation.id == "A")
        #expect(view.requiredCriteria.count == 6)
        #expect(view.signingBlockers.first?.contains("seule la grille finale") == true)
    }

    @Test func theJSONHasTheDocumentedKeys() throws {
        var replica = Replica()
        replica.fillEvenement()
        let json = try replica.view().json
        for key in ["id", "template", "session", "candidate", "situation", "option", "levels", "comments", "fields",
                    "conflicts", "signatures", "status", "missing"] {
            #expect(json[key] != nil, "missing key \(key)")
        }
    }
}

@Suite struct GridRulesTests {
    @Test(arguments: [
        ("14,5", 29), ("14.5", 29), ("20", 40), ("0", 0), (" 7 ", 14), ("0,5", 1), ("19,50", 39), ("12,0", 24),
    ])
    func notesAreReadTheFrenchOrTheEnglishWay(text: String, halfPoints: Int) {
        #expect(GridRules.parseNote(text) == halfPoints)
    }

    @Test(arguments: ["20,5", "21", "-1", "14,3", "14,25", "1e1", "", " ", "abc", "14,", ",5", "100", "14,5,5", "１４", "0x10", "+3"])
    func badNotesAreRefused(text: String) {
        #expect(GridRules.parseNote(text) == nil)
    }

    @Test(arguments: [("2026-03-14", true), ("2024-02-29", true), ("2026-02-29", false), ("2026-13-01", false),
                      ("2026-3-14", false), ("14/03/2026", false), ("", false), ("2026-04-31", false), ("２０２６-03-14", false)])
    func datesAreCalendarDays(text: String, valid: Bool) {
        #expect(GridRules.isISODate(text) == valid)
    }

    static let grid = GridID(template: "ndrc-e4-ccf", session: "2026", candidate: "02614001", situation: "final")

    @Test(arguments: [
        ("level/nope.1", JSONValue.string("S"), "unknown_criterion"),
        ("level/prospection.1", JSONValue.string("B"), "unknown_level"),
        ("level/prospection.1", JSONValue.int(3), "unknown_level"),
        ("comment/prospection.1", JSONValue.string(""), "empty_text"),
        ("comment/prospection.1", JSONValue.string(String(repeating: "a", count: 10_001)), "text_too_long"),
        ("note", JSONValue.int(41), "bad_note"),
        ("note", JSONValue.int(-1), "bad_note"),
        ("note", JSONValue.string("14"), "bad_note"),
        ("option", JSONValue.string("vente"), "unknown_option"),
        ("recommendations", JSONValue.string("x"), "field_not_in_situation"),
        ("colour", JSONValue.string("x"), "unknown_field"),
        ("harmonisation", JSONValue.object(["note": 30]), "coordinator_only"),
        ("signature/ev-0101", JSONValue.object(["content": "abc"]), "bad_signature"),
        ("status", JSONValue.string("published"), "bad_status"),
    ])
    func badWritesAreRefusedWithAStableCode(field: String, value: JSONValue, code: String) {
        let template = GridViewTests.template
        #expect(throws: GridRuleError.self) { try GridRules.validate(field: field, value: value, grid: Self.grid, template: template) }
        do { try GridRules.validate(field: field, value: value, grid: Self.grid, template: template) } catch {
            #expect(error.code == code)
        }
    }

    @Test func goodWritesAndTombstonesAreAccepted() throws {
        let template = GridViewTests.template
        for (field, value) in [("level/negociation.1", JSONValue.string("TS")), ("note", .int(40)), ("option", .string("negociation")),
                               ("level/prospection.1", .null), ("appreciation/A", .string("Bien")), ("status", .string("absent"))] {
            try GridRules.validate(field: field, value: value, grid: Self.grid, template: template)
        }
    }

    @Test(arguments: ["grid/a/b/c/final", "grid/ndrc-e4-ccf/2026/02614001/A-1f"])
    func gridIDsRoundTrip(entity: String) {
        #expect(GridID(entity: entity)?.entity == entity)
    }

    @Test(arguments: ["grid/a/b/c", "grid/a/b/c/d/e", "grade/a/b/c/d", "grid/a//c/d", "grid/a/b/c/d é", "grid/../b/c/d/"])
    func malformedGridIDsAreRefused(entity: String) {
        #expect(GridID(entity: entity) == nil)
    }
}

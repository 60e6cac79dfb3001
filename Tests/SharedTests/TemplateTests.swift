import Foundation
import Testing
@testable import Shared

/// The bundled templates and their lookups. Nested suites: `Reference` (labels against
/// GRIDS.md and the MCV seed), `Malformed` (rejected files).
@Suite struct TemplateTests {
    let catalog: TemplateCatalog

    init() throws {
        catalog = try TemplateCatalog.bundled()
    }

    func make(_ id: String) throws -> Template {
        try #require(catalog[id], "template \(id) is not bundled")
    }

    func ids(_ criteria: [Template.Criterion]) -> [String] { criteria.map(\.id) }

    @Test func bundledCatalogHoldsTheFourGridsSortedById() {
        #expect(catalog.ids == ["mcv-b-e2", "ndrc-e4-ccf", "ndrc-e6-ccf", "ndrc-ef2"])
        #expect(catalog.templates.map(\.id) == catalog.ids)
        #expect(catalog["nope"] == nil)
    }

    @Test func e4FinalWithEvenementRequiresProspectionEvenementInformationInTemplateOrder() throws {
        let e4 = try make("ndrc-e4-ccf")
        let final = try #require(e4.situation("final"))
        #expect(ids(e4.requiredCriteria(situation: final, option: "evenement")) == [
            "prospection.1", "prospection.2", "prospection.3", "prospection.4",
            "evenement.1", "evenement.2", "evenement.3",
            "information.1", "information.2",
        ])
        #expect(ids(e4.outOfScopeCriteria(situation: final, option: "evenement")) == ["negociation.1", "negociation.2"])
    }

    @Test func e4FinalWithNegociationRequiresEightAndExcludesEvenement() throws {
        let e4 = try make("ndrc-e4-ccf")
        let final = try #require(e4.situation("final"))
        #expect(ids(e4.requiredCriteria(situation: final, option: "negociation")) == [
            "prospection.1", "prospection.2", "prospection.3", "prospection.4",
            "negociation.1", "negociation.2", "information.1", "information.2",
        ])
        #expect(ids(e4.outOfScopeCriteria(situation: final, option: "negociation"))
            == ["evenement.1", "evenement.2", "evenement.3"])
        #expect(e4.criteria(for: final).count == 11)
        #expect(e4.optionBlocks(in: final) == ["negociation", "evenement"])
        #expect(final.givesNote)
    }

    @Test(arguments: [nil, "prospection", "inconnu"] as [String?])
    func e4FinalWithoutAValidOptionRequiresOnlyTheFixedBlocks(option: String?) throws {
        let e4 = try make("ndrc-e4-ccf")
        let final = try #require(e4.situation("final"))
        #expect(ids(e4.requiredCriteria(situation: final, option: option)) == [
            "prospection.1", "prospection.2", "prospection.3", "prospection.4", "information.1", "information.2",
        ])
        #expect(e4.outOfScopeCriteria(situation: final, option: option).isEmpty)
    }

    @Test func e4InterviewIdsMapToTheMultipleSituationA() throws {
        let e4 = try make("ndrc-e4-ccf")
        let a = try #require(e4.situation("A-7f3c9e"))
        #expect(a.id == "A" && a.multiple)
        #expect(e4.situation("A")?.id == "A")
        #expect(e4.situation("A-") == nil)
        #expect(e4.situation("B-1") == nil, "B is not multiple")
        #expect(e4.situation("final-2") == nil)
        #expect(e4.situation("C") == nil)
        #expect(e4.requiredCriteria(situation: a, option: nil).count == 6)
        #expect(e4.criteria(for: a).count == 6)
        #expect(e4.optionBlocks(in: a).isEmpty)
        #expect(a.fields == [.date, .recommendations])
        #expect(!a.givesNote)
    }

    @Test func e4SimulationRequiresOnlyTheChosenOption() throws {
        let e4 = try make("ndrc-e4-ccf")
        let b = try #require(e4.situation("B"))
        #expect(ids(e4.requiredCriteria(situation: b, option: "negociation")) == ["negociation.1", "negociation.2"])
        #expect(ids(e4.outOfScopeCriteria(situation: b, option: "negociation")) == ["evenement.1", "evenement.2", "evenement.3"])
        #expect(e4.requiredCriteria(situation: b, option: nil).isEmpty)
        #expect(e4.criteria(for: b).count == 5)
        #expect(b.fields == [.date, .option, .fdap, .subject])
    }

    @Test(arguments: [("ndrc-e6-ccf", 7, true), ("ndrc-ef2", 9, true), ("mcv-b-e2", 25, false)])
    func singleFinalSituationUsesEveryBlock(id: String, count: Int, givesNote: Bool) throws {
        let template = try make(id)
        #expect(template.situations.map(\.id) == ["final"])
        let final = try #require(template.situation("final"))
        #expect(final.blocks == template.blocks.map(\.id))
        #expect(template.requiredCriteria(situation: final, option: nil) == template.allCriteria)
        #expect(template.allCriteria.count == count)
        #expect(final.givesNote == givesNote)
        #expect((template.note != nil) == givesNote)
    }

    @Test func lookupsFindCriteriaBlocksAndLevels() throws {
        let e4 = try make("ndrc-e4-ccf")
        #expect(e4.criterion("evenement.2")?.label == "Animer un évènement commercial")
        #expect(e4.criterion("evenement.4") == nil)
        #expect(e4.block(containing: "information.2")?.id == "information")
        #expect(e4.block(containing: "information") == nil)
        #expect(e4.block("negociation")?.situationLabel == "Situation B, option 1")
        #expect(e4.block("x") == nil)
        #expect(e4.level("TS")?.label == "Très satisfaisant")
        #expect(e4.level("ts") == nil)
        let ef2 = try make("ndrc-ef2")
        #expect(ef2.scale.map(\.name) == ["Subit", "Exécute", "Maîtrise", "Est expert"])
        #expect(ef2.level("S")?.name == "Maîtrise")
        let mcv = try make("mcv-b-e2")
        #expect(mcv.blocks.map(\.id) == ["informations", "prospection", "miseEnOeuvre", "suivi", "valorisation"])
        #expect(mcv.blocks.map(\.evaluation.count) == [1, 2, 2, 4, 0])
    }

    @Test(arguments: [
        (20.0, 0.5, 0, true), (20, 0.5, 29, true), (20, 0.5, 40, true), (20, 0.5, 41, false), (20, 0.5, -1, false),
        (20, 1, 28, true), (20, 1, 29, false), (10, 0.5, 21, false),
    ])
    func noteScaleAcceptsHalfPointsOnItsSteps(max: Double, step: Double, halfPoints: Int, valid: Bool) {
        #expect(Template.NoteScale(max: max, step: step).isValid(halfPoints: halfPoints) == valid)
    }

    @Test func encodedTemplatesDecodeToTheSameValue() throws {
        let encoder = JSONEncoder()
        for template in catalog.templates {
            let data = try encoder.encode(template)
            #expect(try Template.decode(data, file: "\(template.id).json") == template)
        }
    }

    @Test func catalogInMemoryRejectsADuplicateId() throws {
        let e4 = try make("ndrc-e4-ccf")
        let error = #expect(throws: TemplateError.self) { try TemplateCatalog(templates: [e4, e4]) }
        #expect(error?.file == "ndrc-e4-ccf")
        #expect(error?.field == "id")
        #expect(try TemplateCatalog(templates: [e4]).ids == ["ndrc-e4-ccf"])
    }

    @Test func missingDirectoryIsNamedInTheError() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("grille-absent-\(UUID())")
        let error = #expect(throws: TemplateError.self) { try TemplateCatalog.load(directory: url) }
        #expect(error?.file == url.path)
    }

    @Test func errorDescriptionNamesFileAndField() {
        let error = TemplateError(file: "e4.json", field: "blocks[2].label", message: "texte vide")
        #expect(error.description == "modèle e4.json, blocks[2].label : texte vide")
        #expect(TemplateError(file: "e4.json", field: "", message: "JSON invalide").description == "modèle e4.json : JSON invalide")
    }
}

// libFuzzer target `template`: the grid template loader (`Template.decode(_:file:)`,
// Sources/Shared/Domain/Template+Decoding.swift and Template+Validation.swift).
//
// The input is one template file. A refusal must be a `TemplateError` naming the file; a template
// that loads must pass the catalog's checks, answer every lookup the grid rules make, and come back
// equal through JSONEncoder and `Template.decode`, which is how `GET /v1/templates` ships it.
import Foundation
import Shared

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let file = "fuzz.json"
    let template: Template
    do {
        template = try Template.decode(Data(bytes: data, count: size), file: file)
    } catch {
        invariant(error.file == file, "error names file \(error.file)")
        invariant(!error.message.isEmpty, "error without a message")
        _ = error.description
        return 0
    }
    invariant((try? TemplateCatalog(templates: [template]))?.ids == [template.id], "a decoded template fails the catalog")
    exerciseLookups(template)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let encoded = try? encoder.encode(template) else {
        invariant(false, "a decoded template does not encode")
        return 0
    }
    invariant((try? Template.decode(encoded, file: file)) == template, "a template changes through JSONEncoder and decode")
    return 0
}

private func exerciseLookups(_ template: Template) {
    for criterion in template.allCriteria {
        invariant(template.criterion(criterion.id) != nil, "criterion \(criterion.id) not found by id")
        invariant(template.block(containing: criterion.id) != nil, "criterion \(criterion.id) outside every block")
    }
    for level in template.scale {
        invariant(template.level(level.code) != nil, "level \(level.code) not found by code")
    }
    for situation in template.situations {
        invariant(template.situation(situation.id)?.id == situation.id, "situation \(situation.id) not found by id")
        let all = template.criteria(for: situation)
        let options = template.optionBlocks(in: situation)
        for option in options + [nil, "?"] {
            let required = template.requiredCriteria(situation: situation, option: option)
            let excluded = template.outOfScopeCriteria(situation: situation, option: option)
            invariant(Set(required.map(\.id)).isDisjoint(with: excluded.map(\.id)), "a criterion both required and excluded")
            invariant(Set(required.map(\.id)).union(excluded.map(\.id)).isSubset(of: all.map(\.id)), "criteria outside the situation")
        }
        if situation.multiple { _ = template.situation(situation.id + "-2") }
    }
    if let note = template.note {
        let max = note.maxHalfPoints
        for halfPoints in [-1, 0, 1, note.stepHalfPoints, max, max + 1] {
            _ = note.isValid(halfPoints: halfPoints)
        }
    }
}

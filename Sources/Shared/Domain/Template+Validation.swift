// The checks a template passes at load, beyond what its JSON types already enforce. The first
// failure in document order is reported, with the JSON path of the offending value.

extension Template {
    /// Checks ids, labels, numbering and the references between situations and blocks.
    /// `file` names the template in the error.
    public func validate(file: String) throws(TemplateError) {
        func fail(_ field: String, _ message: String) -> TemplateError {
            TemplateError(file: file, field: field, message: message)
        }
        func text(_ value: String?, _ field: String) throws(TemplateError) {
            if let value, value.allSatisfy(\.isWhitespace) { throw fail(field, "texte vide") }
        }

        try text(id, "id")
        if id.contains(where: { $0.isWhitespace || $0 == "/" }) {
            throw fail("id", "l'identifiant « \(id) » ne doit contenir ni espace ni « / »")
        }
        try text(version, "version")
        try text(title, "title")
        try text(epreuve, "epreuve")
        try text(diploma, "diploma")
        try text(form, "form")
        try text(confidentiality, "confidentiality")

        if scale.isEmpty { throw fail("scale", "l'échelle de niveaux est vide ; indiquez au moins un niveau") }
        var codes: Set<String> = []
        for (index, level) in scale.enumerated() {
            try text(level.code, "scale[\(index)].code")
            if !codes.insert(level.code).inserted {
                throw fail("scale[\(index)].code", "code de niveau « \(level.code) » en double")
            }
            try text(level.label, "scale[\(index)].label")
            try text(level.name, "scale[\(index)].name")
        }

        if let note {
            if !note.max.isFinite || note.max <= 0 || note.max > 1000 || !Self.isHalfPoint(note.max) {
                throw fail("note.max", "maximum \(note.max) invalide : un multiple de 0,5 entre 0,5 et 1000 est attendu")
            }
            if !note.step.isFinite || note.step <= 0 || note.step > note.max || !Self.isHalfPoint(note.step)
                || note.maxHalfPoints % note.stepHalfPoints != 0 {
                throw fail("note.step", "pas \(note.step) invalide : un multiple de 0,5 qui divise le maximum est attendu")
            }
        }

        if blocks.isEmpty { throw fail("blocks", "aucun bloc de critères") }
        var blockIDs: Set<String> = []
        var criterionIDs: Set<String> = []
        for (b, block) in blocks.enumerated() {
            let at = "blocks[\(b)]"
            try text(block.id, "\(at).id")
            if block.id.contains(where: { $0 == "." || $0 == "/" || $0.isWhitespace }) {
                throw fail("\(at).id", "l'identifiant de bloc « \(block.id) » ne doit contenir ni « . », ni « / », ni espace")
            }
            if !blockIDs.insert(block.id).inserted { throw fail("\(at).id", "bloc « \(block.id) » en double") }
            try text(block.label, "\(at).label")
            try text(block.situationLabel, "\(at).situationLabel")
            if block.criteria.isEmpty { throw fail("\(at).criteria", "le bloc « \(block.id) » n'a aucun critère") }
            for (c, criterion) in block.criteria.enumerated() {
                let expected = "\(block.id).\(c + 1)"
                if !criterionIDs.insert(criterion.id).inserted {
                    throw fail("\(at).criteria[\(c)].id", "critère « \(criterion.id) » en double")
                }
                if criterion.id != expected {
                    throw fail("\(at).criteria[\(c)].id",
                               "critère « \(criterion.id) » : « \(expected) » attendu (numérotés 1, 2, 3… dans leur bloc)")
                }
                try text(criterion.label, "\(at).criteria[\(c)].label")
                try text(criterion.indicators, "\(at).criteria[\(c)].indicators")
            }
            for (e, evaluation) in block.evaluation.enumerated() {
                try text(evaluation.label, "\(at).evaluation[\(e)].label")
                try text(evaluation.indicators, "\(at).evaluation[\(e)].indicators")
            }
        }

        if situations.isEmpty { throw fail("situations", "aucune situation d'évaluation") }
        var situationIDs: Set<String> = []
        var usedBlocks: Set<String> = []
        for (s, situation) in situations.enumerated() {
            let at = "situations[\(s)]"
            try text(situation.id, "\(at).id")
            if situation.id.contains(where: { $0 == "-" || $0 == "/" || $0.isWhitespace }) {
                throw fail("\(at).id", "l'identifiant de situation « \(situation.id) » ne doit contenir ni « - », ni « / », ni espace")
            }
            if !situationIDs.insert(situation.id).inserted {
                throw fail("\(at).id", "situation « \(situation.id) » en double")
            }
            try text(situation.label, "\(at).label")

            var seen: Set<String> = []
            for (index, id) in situation.blocks.enumerated() {
                let field = "\(at).blocks[\(index)]"
                if !blockIDs.contains(id) { throw fail(field, "bloc inconnu « \(id) »") }
                if !seen.insert(id).inserted { throw fail(field, "bloc « \(id) » cité deux fois") }
            }
            for (g, group) in situation.alternatives.enumerated() {
                if group.count < 2 {
                    throw fail("\(at).alternatives[\(g)]", "une alternative propose au moins deux blocs")
                }
                for (index, id) in group.enumerated() {
                    let field = "\(at).alternatives[\(g)][\(index)]"
                    if !blockIDs.contains(id) { throw fail(field, "bloc inconnu « \(id) »") }
                    if situation.blocks.contains(id) {
                        throw fail(field, "le bloc « \(id) » est à la fois fixe (blocks) et au choix (alternatives)")
                    }
                    if !seen.insert(id).inserted {
                        throw fail(field, "le bloc « \(id) » figure dans deux alternatives")
                    }
                }
            }
            if seen.isEmpty { throw fail("\(at).blocks", "la situation « \(situation.id) » n'évalue aucun bloc") }
            usedBlocks.formUnion(seen)

            var fields: Set<Field> = []
            for (index, field) in situation.fields.enumerated() where !fields.insert(field).inserted {
                throw fail("\(at).fields[\(index)]", "champ « \(field.rawValue) » cité deux fois")
            }
            if situation.alternatives.isEmpty == fields.contains(.option) {
                throw fail("\(at).fields", situation.alternatives.isEmpty
                    ? "champ « option » sans alternatives à choisir"
                    : "une situation avec des alternatives doit avoir le champ « option »")
            }
            if situation.givesNote != fields.contains(.note) {
                throw fail("\(at).fields", "le champ « note » doit figurer si et seulement si \"note\" vaut true")
            }
            if situation.givesNote && note == nil {
                throw fail("\(at).note", "la situation donne une note mais le modèle n'a pas de barème (note)")
            }
        }
        for (b, block) in blocks.enumerated() where !usedBlocks.contains(block.id) {
            throw fail("blocks[\(b)].id", "le bloc « \(block.id) » n'est évalué dans aucune situation")
        }
    }

    private static func isHalfPoint(_ value: Double) -> Bool {
        (value * 2).rounded() == value * 2
    }
}

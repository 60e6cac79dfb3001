import Foundation
import Shared
import Synchronization

/// The write endpoints. Each one runs the CLI command a user would type (same checks, same French
/// refusals, one transaction), then answers the CLI's message with what the page refreshes: the grid's
/// status and the sync indicator. Clearing a text field, which no CLI command does, goes through the same
/// checks (`requireWritable`, `checkCriterion`, `validate`) and `LocalStore.append`.
extension LocalUI {
    // MARK: - Enrollment and sync

    func enroll(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let server = try input.required("server", "L'adresse du serveur")
        let code = try input.required("code", "Le code d'inscription")
        var words = ["enroll", "--server=\(server.trimmingWhitespace())", "--code=\(code.trimmingWhitespace())"]
        if input.flag("reset") { words.append("--reset") }
        // The enrollment may replace the data files: no sync runs meanwhile.
        let output = try exclusive { try sync.exclusive.withLock { _ in try command(words) } }
        let target = sync.requestNow()
        let arrived = sync.waitForSync(target, timeout: 20)
        var message = output.out.filter { !$0.contains("grille-agent sync") }.joined(separator: "\n")
        message += arrived ? "\nVos commissions sont arrivées." : "\nVos commissions arrivent à la première synchronisation."
        return done(message, ["location": "/"])
    }

    func syncNow(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let enrolled = try exclusive { try self.indicator().enrolled }
        guard enrolled else {
            throw LocalUIError.refused("Cet ordinateur n'est pas inscrit : inscrivez-le d'abord (page « Inscription ») avec le code donné par votre coordonnateur.")
        }
        let finished = sync.waitForSync(sync.requestNow(), timeout: 25)
        let indicator = try exclusive { try self.indicator() }
        let message = !finished ? "Synchronisation en cours : le serveur tarde à répondre ; vos saisies restent sur cet ordinateur."
            : indicator.error ?? "Synchronisation terminée."
        return done(message, ["status": indicator.json])
    }

    // MARK: - Grids

    func gridNew(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let candidate = try input.required("candidate", "Le candidat")
        let template = try input.required("template", "Le modèle de grille")
        let session = try input.required("session", "La session")
        let situation = try input.required("situation", "La situation")
        var words = ["grid", "new", "--candidate=\(candidate)", "--template=\(template)", "--session=\(session)", "--situation=\(situation)", "--json"]
        if let option = input.optional("option"), !option.isEmpty { words.append("--option=\(option)") }
        if input.flag("prefill") { words.append("--prefill") }
        return try exclusive {
            let output = try command(words)
            guard let answer = try? JSONValue.parse(output.out.joined(separator: "\n")), let id = answer["id"]?.stringValue else {
                throw LocalUIError.internalError
            }
            var message = answer["created"]?.boolValue == false ? "Cette grille existe déjà : elle s'ouvre." : "Grille ouverte."
            if let prefilled = answer["prefilled"]?.arrayValue {
                message += " \(prefilled.count) niveau(x) pré-rempli(s), à confirmer."
            }
            return done(message, ["location": .string("/grille?id=\(urlQuery(id))"), "grid": .string(id)])
        }
    }

    func gridLevel(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let id = try input.grid()
        let criterion = try input.required("criterion", "Le critère")
        let level = (input.optional("level") ?? "").trimmingWhitespace()
        return try gridWrite(id) {
            let words = level.isEmpty ? ["grid", "clear", "--", id.entity, criterion] : ["grid", "set", "--", id.entity, criterion, level]
            return try command(words).message
        }
    }

    func gridComment(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let id = try input.grid()
        let criterion = try input.required("criterion", "Le critère")
        let text = input.optional("text") ?? ""
        return try gridWrite(id) {
            if text.trimmingWhitespace().isEmpty {
                return try clear(id, field: GridField.comment(criterion), criterion: criterion, what: "Commentaire effacé.")
            }
            return try command(["grid", "comment", "--", id.entity, criterion, text]).message
        }
    }

    func gridField(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let id = try input.grid()
        let name = try input.required("field", "Le champ")
        guard let field = AgentCLI.fieldNames[name] else {
            throw LocalUIError.badRequest("Champ inconnu « \(name) » : choisissez parmi \(AgentCLI.fieldNames.keys.sorted().joined(separator: ", ")).")
        }
        let value = input.optional("value") ?? ""
        if field == GridField.option && value.trimmingWhitespace().isEmpty {
            throw LocalUIError.badRequest("Choisissez une option.")
        }
        return try gridWrite(id) {
            if value.trimmingWhitespace().isEmpty {
                return try clear(id, field: field, criterion: nil, what: "Champ effacé.")
            }
            return try command(["grid", "field", "--", id.entity, name, value]).message
        }
    }

    func gridFdap(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let id = try input.grid()
        let number = try input.required("number", "Le numéro de la FDAP")
        let title = try input.required("title", "Le titre de la FDAP")
        return try gridWrite(id) {
            try command(["grid", "fdap", "--number=\(number)", "--title=\(title)", "--", id.entity]).message
        }
    }

    func gridConfirm(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let id = try input.grid()
        let all = input.flag("all")
        let criterion = input.optional("criterion") ?? ""
        guard all || !criterion.isEmpty else { throw LocalUIError.badRequest("Le critère à confirmer manque.") }
        return try gridWrite(id) {
            try command(all ? ["grid", "confirm", "--all", "--", id.entity] : ["grid", "confirm", "--", id.entity, criterion]).message
        }
    }

    func gridSign(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let id = try input.grid()
        let name = (input.optional("name") ?? "").trimmingWhitespace()
        let witness = input.flag("witness")
        if witness && name.isEmpty {
            throw LocalUIError.badRequest("Nom vide : écrivez le nom du membre qui co-signe, « NOM Prénom ».")
        }
        if !name.isEmpty && !witness {
            throw LocalUIError.badRequest("Cochez « Je suis témoin » : un membre sans compte co-signe sur cet ordinateur en votre présence.")
        }
        return try gridWrite(id) {
            let words = name.isEmpty ? ["grid", "sign", "--", id.entity] : ["grid", "sign", "--name=\(name)", "--witness", "--", id.entity]
            return try command(words).message
        }
    }

    /// Keeps one value of a conflict: writes it again, having seen every head, so the conflict ends.
    func gridResolve(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let id = try input.grid()
        let field = try input.required("field", "Le champ")
        let eventID = try input.required("event", "La valeur à garder")
        return try gridWrite(id) {
            let (_, ctx) = try context()
            let view: GridView
            do { view = try ctx.store.gridView(try ctx.store.resolveGrid(id.entity), catalog: ctx.catalog) } catch { throw LocalUIError.from(error) }
            guard let state = view.fields[field], state.isConflict else {
                throw LocalUIError.stale("Ce conflit est déjà résolu : rechargez la page.")
            }
            guard let head = state.heads.first(where: { $0.id == eventID }) else {
                throw LocalUIError.stale("Cette valeur ne fait plus partie du conflit : rechargez la page.")
            }
            let value = head.value
            if let (kind, criterion) = GridField.criterion(of: field) {
                switch (kind, value) {
                case ("level", .string(let level)):
                    return try command(["grid", "set", "--", id.entity, criterion, level]).message
                case ("level", .null):
                    return try command(["grid", "clear", "--", id.entity, criterion]).message
                case ("comment", .string(let text)):
                    return try command(["grid", "comment", "--", id.entity, criterion, text]).message
                default:
                    return try write(id, field: field, value: value, criterion: criterion, levelWrite: kind == "level", what: "Valeur gardée.")
                }
            }
            if let name = AgentCLI.fieldNames.first(where: { $0.value == field })?.key, value != .null {
                let text = field == GridField.note ? value.intValue.map { GridRules.formatNote(halfPoints: Int($0)) } : value.stringValue
                if let text { return try command(["grid", "field", "--", id.entity, name, text]).message }
            }
            if field == GridField.fdap, let number = value["number"]?.stringValue, let title = value["title"]?.stringValue {
                return try command(["grid", "fdap", "--number=\(number)", "--title=\(title)", "--", id.entity]).message
            }
            return try write(id, field: field, value: value, criterion: nil, levelWrite: false, what: "Valeur gardée.")
        }
    }

    /// Runs `body` under `exclusive` and answers its message with the grid's new status and the indicator.
    func gridWrite(_ id: GridID, _ body: () throws -> String) throws -> HTTPResponse {
        try exclusive {
            let message = try body()
            var extra: [String: JSONValue] = ["status": try indicator().json]
            if let (_, ctx) = try? context(), let view = try? ctx.store.gridView(id, catalog: ctx.catalog) {
                extra["grid"] = LocalUI.summary(view)
            }
            return done(message, extra)
        }
    }

    /// Clears a field that holds a value (no CLI command clears texts); nothing to do when it is empty.
    func clear(_ id: GridID, field: String, criterion: String?, what: String) throws -> String {
        let (_, ctx) = try context()
        let current = try? ctx.store.gridView(try ctx.store.resolveGrid(id.entity), catalog: ctx.catalog).value(field)
        guard current != nil else { return "Rien à enregistrer : le champ est déjà vide." }
        return try write(id, field: field, value: .null, criterion: criterion, levelWrite: false, what: what)
    }

    /// One field write through the CLI's checks: the grid exists, the evaluator may write it (member, open
    /// session, teacher for interviews), the criterion belongs to the grid, the value passes `GridRules`.
    func write(_ id: GridID, field: String, value: JSONValue, criterion: String?, levelWrite: Bool, what: String) throws -> String {
        do {
            let (cli, ctx) = try context()
            let view = try ctx.store.gridView(try ctx.store.resolveGrid(id.entity), catalog: ctx.catalog)
            try cli.requireWritable(view.id, ctx)
            if let criterion { _ = try cli.checkCriterion(criterion, in: view, levelWrite: levelWrite) }
            let writes = [LocalStore.Write(entity: view.id.entity, field: field, value: value)]
            try cli.validate(writes, view: view)
            try ctx.store.append(writes, author: ctx.me.id)
            return what
        } catch {
            throw LocalUIError.from(error)
        }
    }

    // MARK: - Conformity

    func conformitySet(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let candidate = try input.required("candidate", "Le candidat")
        let template = try input.required("template", "L'épreuve")
        let session = try input.required("session", "La session")
        guard let value = input.optional("value"), !value.trimmingWhitespace().isEmpty else {
            throw LocalUIError.badRequest("Choisissez la conformité du dossier : \(AgentCLI.conformityChoices).")
        }
        return try exclusive {
            let output = try command(["conformity", "set", "--template=\(template)", "--session=\(session)", "--", candidate, value])
            return done(output.message, ["status": try indicator().json])
        }
    }

    // MARK: - USB key

    func exportEvents(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        let path = try input.required("path", "Le fichier à écrire").trimmingWhitespace()
        guard path.hasPrefix("/") else {
            throw LocalUIError.badRequest("Indiquez le chemin complet du fichier, commençant par « / » (par exemple /media/\(options.environment["USER"] ?? "moi")/CLE/grille-saisies.json).")
        }
        return try exclusive {
            let output = try command(["export-events", "--", path])
            return done(output.message, ["status": try indicator().json])
        }
    }

    func importReceipts(_ request: HTTPRequest, _ input: Input) throws -> HTTPResponse {
        if let content = input.optional("content"), !content.isEmpty {
            return try exclusive {
                let temporary = options.dataDirectory + "/recus-\(SecureRandom.hex(6)).json"
                do {
                    try LocalStore.prepareDirectory(options.dataDirectory)
                    try LocalStore.writePrivateFile(Array(content.utf8), to: temporary)
                } catch {
                    throw LocalUIError.from(error)
                }
                defer { unlink(temporary) }
                do {
                    let output = try command(["import-receipts", "--", temporary])
                    return done(output.message, ["status": try indicator().json])
                } catch let error as LocalUIError {
                    throw LocalUIError(status: error.status, code: error.code,
                                       message: error.message.replacingOccurrences(of: "« \(temporary) »", with: "choisi"))
                }
            }
        }
        let path = try input.required("path", "Le fichier de reçus").trimmingWhitespace()
        guard path.hasPrefix("/") else {
            throw LocalUIError.badRequest("Indiquez le chemin complet du fichier de reçus, commençant par « / », ou choisissez-le avec le bouton.")
        }
        return try exclusive {
            let output = try command(["import-receipts", "--", path])
            return done(output.message, ["status": try indicator().json])
        }
    }
}

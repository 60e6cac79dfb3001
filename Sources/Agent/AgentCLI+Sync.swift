import Foundation
import Shared

extension AgentCLI {
    // MARK: - enroll

    /// What enrollment needs from the data directory before it calls the server.
    private struct EnrollCheck {
        let deviceID: String
        let evaluator: String?
        let localEvents: [Event]
    }

    func enroll() throws {
        try arguments.allowOnly(["data", "server", "code", "reset"], command: "enroll")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent enroll --server URL --code CODE [--reset]")
        guard let serverText = arguments[option: "server"], let rawCode = arguments[option: "code"] else {
            throw UsageError("enroll demande --server URL et --code CODE (le code d'inscription donné par votre coordonnateur).")
        }
        let code = rawCode.trimmingCharacters(in: .whitespaces)
        guard !code.isEmpty, code.utf8.count <= 200 else {
            throw AgentError.user("Code d'inscription vide ou trop long : recopiez le code donné par votre coordonnateur.")
        }
        let server = try ServerAddress.normalize(serverText)
        let reset = arguments.has("reset")
        let check = try enrollCheck(server: server, reset: reset)

        let request = EnrollRequest(code: code, device: check.deviceID, evaluator: reset ? nil : check.evaluator)
        let transport = services.transport(server)
        let answer: JSONValue
        do {
            var once = services.retry
            once.attempts = 1
            answer = try SyncEngine.exchange(TransportRequest(method: "POST", target: "/v1/enroll",
                                                              headers: ["Content-Type": "application/json", "Accept": "application/json"],
                                                              body: request.json.canonicalBytes()),
                                             over: transport, retry: once)
        } catch SyncError.unauthorized(let code, let message) where code == "invalid_code" {
            throw AgentError.user("Code d'inscription refusé\(message.map { " (\($0))" } ?? "") : il est inconnu, déjà utilisé ou expiré. Demandez un nouveau code à votre coordonnateur. Rien n'a été enregistré.")
        } catch SyncError.refused(409, "evaluator_mismatch", let message) {
            throw AgentError.user("Ce code d'inscription a été créé pour un autre évaluateur que « \(check.evaluator ?? "?") », dont ce dossier contient les saisies\(message.map { " (\($0))" } ?? ""). Le code n'a pas été utilisé ; demandez un code à votre nom, ou utilisez --reset pour repartir d'un dossier vide.")
        } catch let error as SyncError {
            switch error {
            case .unreachable(let reason):
                throw AgentError.user("Serveur injoignable à l'adresse \(server) (\(reason)) : vérifiez l'adresse et la connexion. Rien n'a été enregistré.")
            case .refused(_, _, let message), .unauthorized(_, let message):
                throw AgentError.user("Inscription refusée par le serveur\(message.map { " : \($0)" } ?? ".") Rien n'a été enregistré.")
            default:
                throw AgentError.user(error.message + " Rien n'a été enregistré.")
            }
        }
        let response: EnrollResponse
        do {
            response = try EnrollResponse(json: answer)
        } catch {
            throw AgentError.user(SyncError.badAnswer("réponse d'inscription : \(error.description)").message + " Rien n'a été enregistré.")
        }
        guard response.device == check.deviceID, response.token.utf8.count == 64, Hex.decode(response.token) != nil else {
            throw AgentError.user(SyncError.badAnswer("la réponse d'inscription ne correspond pas à cet ordinateur").message + " Rien n'a été enregistré.")
        }
        if !reset, let evaluator = check.evaluator, response.evaluator != evaluator {
            throw AgentError.user("Ce code d'inscription est au nom de « \(response.evaluator) », mais ce dossier contient les saisies de « \(evaluator) ». Rien n'a été enregistré ; demandez à votre coordonnateur un code à votre nom, ou utilisez --reset.")
        }

        var savedFile: String?
        if reset {
            savedFile = try resetDataDirectory(keeping: check)
        }
        let store = try LocalStore(directory: dataDirectory, clock: clock, deviceID: check.deviceID)
        try LocalStore.writeToken(response.token, directory: dataDirectory)
        try store.db.write {
            let values: [(String, String)] = [
                (LocalStore.SyncKey.serverURL, server), (LocalStore.SyncKey.epoch, response.epoch),
                (LocalStore.SyncKey.enrolledEvaluator, response.evaluator), (LocalStore.SyncKey.evaluator, response.evaluator),
                (LocalStore.SyncKey.academy, response.academy), (LocalStore.SyncKey.timezone, response.timezone),
                (LocalStore.SyncKey.cursor, "0"), (LocalStore.SyncKey.controlAck, "0"),
            ]
            for (key, value) in values { try store.setInTransaction(key, value) }
        }
        if let savedFile {
            say("Saisies locales enregistrées dans « \(savedFile) » avant de repartir d'un dossier vide.")
        }
        say("Ordinateur \(store.deviceID) inscrit auprès de \(server) (\(response.academy)) pour \(response.evaluator).")
        say("Lancez « grille-agent sync » pour recevoir vos commissions et envoyer vos saisies.")
    }

    /// Checks the data directory, then closes it (a reset deletes its files, which an open connection
    /// must not outlive).
    private func enrollCheck(server: String, reset: Bool) throws -> EnrollCheck {
        let store = try openStore()
        let evaluator = try store.setting(LocalStore.SyncKey.evaluator)
        let authors = try store.db.query("SELECT DISTINCT author FROM events WHERE origin = 'local' ORDER BY author").map { $0.string(0) }
        let localEvents = try store.db.query("SELECT body FROM events WHERE origin = 'local' ORDER BY wall, counter, device, id")
            .map { try Event(bytes: Array($0.string(0).utf8)) }
        if !reset {
            if try store.setting(LocalStore.SyncKey.rosterSource) == "file" {
                throw AgentError.user("Ce dossier de données contient une liste importée à la main (roster import) : la liste viendra du serveur. Relancez avec --reset pour enregistrer vos saisies locales dans un fichier et repartir d'un dossier vide, ou choisissez un autre dossier (--data). Rien n'a été enregistré.")
            }
            if let other = authors.first(where: { $0 != (evaluator ?? authors.first) }) {
                throw AgentError.user("Ce dossier de données contient des saisies de « \(other) » : il ne peut être inscrit que pour un seul évaluateur. Utilisez un autre dossier (--data) ou --reset. Rien n'a été enregistré.")
            }
            if let known = try store.setting(LocalStore.SyncKey.serverURL), known != server,
               try LocalStore.readToken(directory: dataDirectory) != nil {
                throw AgentError.user("Cet ordinateur est déjà inscrit auprès de \(known). Pour changer de serveur, relancez avec --reset (vos saisies locales seront d'abord enregistrées dans un fichier). Rien n'a été enregistré.")
            }
        }
        return EnrollCheck(deviceID: store.deviceID, evaluator: evaluator ?? authors.first, localEvents: localEvents)
    }

    /// `enroll --reset`: writes the local events to a dated file, then deletes the database and the token.
    private func resetDataDirectory(keeping check: EnrollCheck) throws -> String? {
        var saved: String?
        do {
            let store = try openStore()
            if !check.localEvents.isEmpty {
                let path = store.datedFileName("saisies-locales")
                try LocalStore.writeEventLines(check.localEvents, to: path)
                saved = path
            }
            try? store.db.execute("PRAGMA journal_mode = DELETE")
        }
        LocalStore.deleteDataFiles(directory: dataDirectory)
        return saved
    }

    // MARK: - sync

    /// The store, token and server of an enrolled data directory. Checks the token file first, so that
    /// nothing is created in a directory that was never enrolled.
    func enrolledStore() throws -> (store: LocalStore, token: String, server: String) {
        let notEnrolled = AgentError.user("Cet ordinateur n'est pas inscrit : lancez d'abord « grille-agent enroll --server URL --code CODE » avec le code donné par votre coordonnateur.")
        guard FileManager.default.fileExists(atPath: LocalStore.tokenPath(dataDirectory)),
              let token = try LocalStore.readToken(directory: dataDirectory) else { throw notEnrolled }
        let store = try openStore()
        guard let server = try store.setting(LocalStore.SyncKey.serverURL) else { throw notEnrolled }
        return (store, token, server)
    }

    func makeEngine(store: LocalStore, token: String, server: String, retry: SyncEngine.RetryPolicy? = nil) -> SyncEngine {
        var configuration = SyncEngine.Configuration()
        configuration.retry = retry ?? services.retry
        if services.stderrIsTerminal() {
            configuration.progress = { line in ProgressLine.show(line) }
        }
        return SyncEngine(store: store, transport: services.transport(server), token: token, clock: clock, configuration: configuration)
    }

    func syncCommand() throws {
        try arguments.allowOnly(["data", "json"], command: "sync")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent sync [--json]")
        let (store, token, server) = try enrolledStore()
        let engine = makeEngine(store: store, token: token, server: server)
        let summary: SyncSummary
        do {
            summary = try engine.sync()
            if services.stderrIsTerminal() { ProgressLine.show("") }
        } catch {
            if services.stderrIsTerminal() { ProgressLine.show("") }
            throw error
        }
        if json {
            output(summary.json)
            return
        }
        say(summary.line)
        summary.notices.forEach(say)
    }

    // MARK: - status

    func status() throws {
        try arguments.allowOnly(["data", "json"], command: "status")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-agent status [--json]")
        let store = try openStore()
        let server = try store.setting(LocalStore.SyncKey.serverURL)
        let enrolled = try LocalStore.readToken(directory: dataDirectory) != nil && server != nil
        let pending = try store.pendingCount()
        let lastSync = try store.intSetting(LocalStore.SyncKey.lastSync)
        let offset = try store.intSetting(LocalStore.SyncKey.clockOffset) ?? 0
        let refused = try store.rejectedEvents()
        let notices = try store.recentNotices()
        func describe(_ stored: LocalStore.StoredEvent) -> JSONValue {
            ["id": .string(stored.event.id), "entity": .string(stored.event.entity), "field": .string(stored.event.field),
             "value": stored.event.value, "code": stored.rejectCode.map { .string($0) } ?? .null,
             "reason": stored.rejectReason.map { .string($0) } ?? .null, "at": .int(stored.event.hlc.wall)]
        }
        if json {
            output([
                "enrolled": .bool(enrolled), "server": server.map { .string($0) } ?? .null, "device": .string(store.deviceID),
                "evaluator": try store.setting(LocalStore.SyncKey.evaluator).map { .string($0) } ?? .null,
                "academy": try store.setting(LocalStore.SyncKey.academy).map { .string($0) } ?? .null,
                "pending": .int(Int64(pending)), "last_sync": lastSync.map { .int($0) } ?? .null,
                "clock_offset_ms": .int(offset), "epoch": try store.setting(LocalStore.SyncKey.epoch).map { .string($0) } ?? .null,
                "cursor": .int(try store.intSetting(LocalStore.SyncKey.cursor) ?? 0),
                "rejected": .array(refused.filter { !$0.quarantined }.map(describe)),
                "quarantined": .array(refused.filter(\.quarantined).map(describe)),
                "notices": .array(notices.map { ["at": .int($0.at), "kind": .string($0.kind), "message": .string($0.message)] }),
            ])
            return
        }
        say(enrolled ? "Serveur : \(server ?? "")" : "Cet ordinateur n'est pas inscrit auprès d'un serveur (grille-agent enroll).")
        say("Appareil : \(store.deviceID)")
        say("Saisies en attente d'envoi : \(pending)")
        say("Dernière synchronisation réussie : " + (lastSync.map { AgentCLI.formatTime($0) } ?? "jamais"))
        if offset != 0 {
            say("Correction d'horloge : \(offset > 0 ? "+" : "−")\(AgentCLI.formatDuration(abs(offset))) (d'après l'heure du serveur)")
        }
        for stored in refused {
            let value = stored.event.value == .null ? "(effacé)" : (stored.event.value.stringValue ?? stored.event.value.canonicalString)
            let label = stored.quarantined ? "en quarantaine" : "refusé"
            say("  \(label) : \(stored.event.entity) \(stored.event.field) = \(value) — \(stored.rejectReason ?? stored.rejectCode ?? "") [\(stored.rejectCode ?? "")]")
        }
        if !refused.isEmpty {
            say("\(refused.filter { !$0.quarantined }.count) saisie(s) refusée(s), \(refused.filter(\.quarantined).count) en quarantaine (conservée(s) sur le serveur pour le coordonnateur).")
        }
        for notice in notices.reversed() {
            say("\(AgentCLI.formatTime(notice.at))  \(notice.message)")
        }
    }

    static func formatDuration(_ milliseconds: Int64) -> String {
        let seconds = (milliseconds + 500) / 1000
        if seconds < 120 { return "\(seconds) s" }
        let minutes = (seconds + 30) / 60
        return minutes < 120 ? "\(minutes) min" : "\(minutes / 60) h \(minutes % 60) min"
    }
}

/// The progress line of a sync on a terminal.
enum ProgressLine {
    /// Rewrites the current line of standard error; "" clears it.
    static func show(_ text: String) {
        FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
    }
}

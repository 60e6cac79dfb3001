import Foundation
import Shared

/// The USB path: `export-events` writes the pending events as the body of a push, the server imports it
/// and answers with a file that `import-receipts` applies exactly like a push answer.
extension AgentCLI {
    /// Largest receipts file read.
    static let maxReceiptsFileBytes = 64 << 20

    func exportEvents() throws {
        try arguments.allowOnly(["data"], command: "export-events")
        let rest = try arguments.expectPositionals(1...1, after: 1, usage: "grille-agent export-events FICHIER")
        let path = rest[0]
        guard !path.isEmpty, !FileManager.default.fileExists(atPath: path) else {
            throw AgentError.user("Le fichier « \(path) » existe déjà : choisissez un autre nom (rien n'a été écrit).")
        }
        let store = try openStore()
        guard let evaluator = try store.setting(LocalStore.SyncKey.evaluator) else {
            throw AgentError.user("Aucune identité sur cet ordinateur : choisissez-la avec « grille-agent whoami --as IDENTIFIANT ».")
        }
        let pending = try store.pendingEvents()
        guard !pending.isEmpty else {
            say("Aucune saisie en attente d'envoi : aucun fichier écrit.")
            return
        }
        let batch = SyncEngine.batches(pending, receipts: false, maxEvents: SyncProtocol.maxPushEvents,
                                       maxBytes: SyncProtocol.maxPushBytes - 64 * 1024).first ?? []
        let document: JSONValue = ["device": .string(store.deviceID), "evaluator": .string(evaluator),
                                   "push": PushRequest(events: batch.map(\.event)).json]
        do {
            try LocalStore.writePrivateFile(document.canonicalBytes(), to: path)
        } catch {
            throw AgentError.user("Impossible d'écrire « \(path) » : vérifiez que la clé est branchée, accessible en écriture et qu'il reste de la place.")
        }
        say("\(batch.count) saisie(s) exportée(s) dans « \(path) ». Faites importer ce fichier sur le serveur, puis appliquez sa réponse avec « grille-agent import-receipts FICHIER ».")
        if batch.count < pending.count {
            say("\(pending.count - batch.count) autre(s) saisie(s) attendent : exportez de nouveau après avoir appliqué les reçus.")
        }
    }

    func importReceipts() throws {
        try arguments.allowOnly(["data", "json"], command: "import-receipts")
        let rest = try arguments.expectPositionals(1...1, after: 1, usage: "grille-agent import-receipts FICHIER")
        let path = rest[0]
        let (device, response) = try readReceipts(path)
        let store = try openStore()
        guard device == store.deviceID else {
            throw AgentError.user("Ce fichier de reçus concerne l'ordinateur « \(device) », pas celui-ci (« \(store.deviceID) ») : rien n'a été appliqué.")
        }
        let outcome = try store.applyPushResponse(response)
        var notices: [String] = []
        if !outcome.skewed.isEmpty {
            // The answer was made when the server imported the file, maybe long ago: correct by the
            // measured advance of the refused stamps rather than by the answer's `server_time`.
            let measured = response.rejected.filter { outcome.skewed.contains($0.id) }.compactMap(\.offsetMilliseconds).max()
                ?? (clock.nowMilliseconds() - response.serverTime)
            let offset = (try store.intSetting(LocalStore.SyncKey.clockOffset) ?? 0) - max(0, measured)
            try store.correctClock(offsetMilliseconds: offset)
            let notice = SyncSummary.skewNotice(offsetMilliseconds: -max(0, measured), resent: false)
            try store.addNotice(kind: "clock", message: notice)
            notices.append(notice)
        }
        let refused = outcome.rejected - outcome.skewed.count
        if json {
            output(["accepted": .int(Int64(outcome.accepted)), "duplicates": .int(Int64(outcome.duplicates)),
                    "rejected": .int(Int64(refused)), "restamped": .int(Int64(outcome.skewed.count)),
                    "unknown": .int(Int64(outcome.unknown)), "notices": .array(notices.map { .string($0) })])
            return
        }
        say("Reçus appliqués : \(outcome.accepted) acceptée(s), \(outcome.duplicates) déjà connue(s), \(refused) refusée(s).")
        if refused > 0 { say("Les saisies refusées et leur motif : grille-agent status.") }
        if outcome.unknown > 0 { say("\(outcome.unknown) reçu(s) concernent des saisies absentes de cet ordinateur : ignoré(s).") }
        notices.forEach(say)
    }

    /// Reads and checks `{"device", "response"}`; any problem is a French refusal before the store opens.
    private func readReceipts(_ path: String) throws -> (String, PushResponse) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: path) else {
            throw AgentError.user("Impossible de lire le fichier de reçus « \(path) » : vérifiez le chemin et les droits. Rien n'a été appliqué.")
        }
        let invalid = { (detail: String) in
            AgentError.user("Fichier de reçus invalide « \(path) » : \(detail). Rien n'a été appliqué ; demandez au coordonnateur le fichier de réponse du serveur.")
        }
        guard data.count <= AgentCLI.maxReceiptsFileBytes else { throw invalid("fichier trop volumineux") }
        let value: JSONValue
        do {
            value = try JSONValue.parse(Array(data), limits: SyncEngine.answerLimits)
        } catch {
            throw invalid("ce n'est pas du JSON valide (\(error))")
        }
        guard case .object(let members) = value, Set(members.keys) == ["device", "response"],
              let device = members["device"]?.stringValue, let body = members["response"] else {
            throw invalid("il faut un objet {\"device\", \"response\"}")
        }
        do {
            return (device, try PushResponse(json: body))
        } catch {
            throw invalid("réponse mal formée (\(error.description))")
        }
    }
}

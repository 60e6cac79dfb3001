import Foundation
import Shared

/// `grille-server`: the academy's coordinator server and its administration commands. Messages are
/// French; exit codes 0 ok, 1 user error, 2 usage error, 3 internal error.
struct ServerCLI {
    /// Used when no `--db PATH` is given (documented in docs/OPERATIONS.md).
    static let defaultDatabase = "/var/lib/grille/server.sqlite"
    static let valued: Set<String> = ["db", "academy", "timezone", "listen", "by", "ttl", "max-skew", "out", "prefix", "note", "reason", "session", "format", "template", "establishment", "commission"]
    static let flagNames: Set<String> = ["json", "help", "version", "yes", "force", "trust-proxy", "csv", "excel"]

    let arguments: CommandLineArguments
    let clock: any WallClock

    static func run(_ argv: [String], clock: any WallClock = SystemWallClock()) -> Int32 {
        do {
            let arguments = try CommandLineArguments(argv, valued: valued, flags: flagNames)
            try ServerCLI(arguments: arguments, clock: clock).dispatch()
            return 0
        } catch let error as UsageError {
            Console.error("grille-server : \(error.message)\nAide : grille-server --help")
            return 2
        } catch let error as ServerError {
            Console.error(error.message)
            return error.status >= 500 ? 3 : 1
        } catch let error as DatabaseError {
            Console.error(ServerStore.describe(error, path: "la base").message)
            return 3
        } catch {
            Console.error("Erreur interne : \(error)")
            return 3
        }
    }

    var words: [String] { arguments.positionals }
    var json: Bool { arguments.has("json") }
    var databasePath: String { arguments[option: "db"] ?? ServerCLI.defaultDatabase }

    func openStore() throws -> ServerStore {
        try ServerStore(path: databasePath, clock: clock)
    }

    func requireBy() throws -> String {
        guard let by = arguments[option: "by"], !by.isEmpty else {
            throw UsageError("Cette commande modifie les données : indiquez --by IDENTIFIANT (un coordonnateur de la liste).")
        }
        return by
    }

    func dispatch() throws {
        if arguments.has("version") { Console.out("grille-server \(Grille.version)"); return }
        guard let command = words.first, !arguments.has("help") else { Console.out(ServerCLI.help); return }
        switch command {
        case "init": try initialise()
        case "serve": try serve()
        case "roster":
            guard words.count >= 2, words[1] == "import" else { throw UsageError("Utilisation : grille-server roster import DOSSIER --by ID") }
            try rosterImport()
        case "enroll": try enroll()
        case "devices": try devices()
        case "revoke": try revoke()
        case "quarantine": try quarantine()
        case "import-events": try importEvents()
        case "hash": try hash()
        case "harmonise": try harmonise()
        case "session": try session()
        case "purge": try purge()
        case "export": if words.count > 1 && words[1] == "notes" { try exportNotes() } else { try export() }
        case "report": try report()
        case "print": try printDocuments()
        case "archive": try archive()
        case "coordinator": try coordinator()
        case "backup": try backup()
        case "verify": try verify()
        case "restore": try restore()
        case "help": Console.out(ServerCLI.help)
        default: throw UsageError("Commande inconnue « \(command) ».")
        }
    }

    func initialise() throws {
        try arguments.allowOnly(["db", "academy", "timezone"], command: "init")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-server init [--db CHEMIN] --academy NOM [--timezone Europe/Paris]")
        guard let academy = arguments[option: "academy"] else { throw UsageError("init demande --academy NOM.") }
        let store = try ServerStore.initialise(path: databasePath, academy: academy,
                                               timezone: arguments[option: "timezone"] ?? "Europe/Paris", clock: clock)
        Console.out("Académie « \(store.academy) » créée dans \(databasePath) (fuseau \(store.timezone)).")
        Console.out("Clé des reçus : \(ServerStore.keyPath(for: databasePath)) — à sauvegarder avec la base.")
    }

    func rosterImport() throws {
        try arguments.allowOnly(["db", "by", "json"], command: "roster import")
        let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-server roster import DOSSIER --by ID")
        let by = try requireBy()
        let store = try openStore()
        let roster: Roster
        do {
            roster = try Roster.load(directory: URL(fileURLWithPath: rest[0]), templateIDs: Set(store.catalog.ids))
        } catch {
            throw ServerError.user("Liste refusée, rien n'a été importé. \(error.description)")
        }
        let changed = try store.importRoster(roster, by: by)
        if json {
            Console.out(JSONValue.object(["changed_fields": .int(Int64(changed)), "candidates": .int(Int64(roster.candidates.count))]).prettyString())
        } else if changed == 0 {
            Console.out("Liste identique à celle déjà enregistrée : rien n'a changé.")
        } else {
            Console.out("Liste importée : \(changed) champs modifiés (\(roster.establishments.count) établissements, \(roster.evaluators.count) évaluateurs, \(roster.commissions.count) commissions, \(roster.candidates.count) candidats, \(roster.registrations.count) inscriptions).")
        }
    }

    func enroll() throws {
        try arguments.allowOnly(["db", "by", "ttl", "json"], command: "enroll")
        let rest = try arguments.expectPositionals(1...1, after: 1, usage: "grille-server enroll ÉVALUATEUR [--ttl 7d] --by ID [--json]")
        let by = try requireBy()
        let ttl = try ServerCLI.parseDuration(arguments[option: "ttl"] ?? "7d", option: "--ttl")
        let store = try openStore()
        let (code, expires) = try store.createEnrollmentCode(for: rest[0], ttlMilliseconds: ttl, by: by)
        if json {
            Console.out(JSONValue.object(["evaluator": .string(rest[0]), "code": .string(code), "expires_at": .int(expires)]).prettyString())
        } else {
            Console.out(code)
            Console.error("Code d'inscription à usage unique pour \(rest[0]), valable jusqu'au \(ServerCLI.formatTime(expires, timezone: store.timezone)).")
        }
    }

    func devices() throws {
        try arguments.allowOnly(["db", "json"], command: "devices")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-server devices [--json]")
        let store = try openStore()
        let list = try store.devices()
        if json {
            Console.out(JSONValue.array(list.map { d in
                .object(["id": .string(d.id), "evaluator": .string(d.evaluator), "enrolled_at": .int(d.enrolledAt),
                         "revoked_at": d.revokedAt.map { .int($0) } ?? .null, "last_seen": d.lastSeen.map { .int($0) } ?? .null,
                         "clock_offset_ms": d.clockOffset.map { .int($0) } ?? .null])
            }).prettyString())
            return
        }
        if list.isEmpty { Console.out("Aucun appareil inscrit.") }
        for d in list {
            let state = d.revokedAt.map { "révoqué le \(ServerCLI.formatTime($0, timezone: store.timezone))" } ?? "actif"
            let seen = d.lastSeen.map { "vu le \(ServerCLI.formatTime($0, timezone: store.timezone))" } ?? "jamais vu"
            Console.out("\(d.id)  \(d.evaluator)  \(state)  \(seen)")
        }
    }

    func revoke() throws {
        try arguments.allowOnly(["db", "by"], command: "revoke")
        let rest = try arguments.expectPositionals(1...1, after: 1, usage: "grille-server revoke APPAREIL --by ID")
        let by = try requireBy()
        let store = try openStore()
        try store.revoke(device: rest[0], by: by)
        Console.out("Appareil \(rest[0]) révoqué : à sa prochaine connexion, il enregistre ses saisies non envoyées dans un fichier puis efface les données de l'académie.")
    }

    func quarantine() throws {
        try arguments.allowOnly(["db", "json"], command: "quarantine")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-server quarantine [--json]")
        let store = try openStore()
        let items = try store.quarantine()
        if json {
            Console.out(JSONValue.array(items.map { item in
                .object(["event": item.event.json, "device": .string(item.device), "code": .string(item.code),
                         "reason": .string(item.reason), "received_at": .int(item.at)])
            }).prettyString())
            return
        }
        if items.isEmpty { Console.out("Quarantaine vide.") }
        for item in items {
            let value = item.event.value.stringValue ?? item.event.value.canonicalString
            Console.out("\(ServerCLI.formatTime(item.at, timezone: store.timezone))  \(item.event.author)  \(item.event.entity)  \(item.event.field) = \(value)  — \(item.reason)")
        }
    }

    /// USB sync: reads a file written by `grille-agent export-events`, ingests it as that device's push,
    /// and writes the answer for `grille-agent import-receipts`.
    func importEvents() throws {
        try arguments.allowOnly(["db", "by", "out", "json"], command: "import-events")
        let rest = try arguments.expectPositionals(1...1, after: 1, usage: "grille-server import-events FICHIER [--out RÉPONSE] --by ID")
        let by = try requireBy()
        let store = try openStore()
        try store.checkCoordinator(by, in: [store.roster])
        guard let data = FileManager.default.contents(atPath: rest[0]) else {
            throw ServerError.user("Fichier illisible « \(rest[0]) ».")
        }
        guard data.count <= SyncProtocol.maxPushBytes * 4 else { throw ServerError.user("Fichier trop volumineux « \(rest[0]) ».") }
        let value: JSONValue
        let request: PushRequest
        do {
            value = try JSONValue.parse(Array(data), limits: SyncProtocol.fileLimits)
            request = try PushRequest(json: value["push"] ?? .null)
        } catch {
            throw ServerError.user("Fichier « \(rest[0]) » mal formé (attendu : un export de grille-agent) : \(error)")
        }
        guard let deviceID = value["device"]?.stringValue, let device = try store.device(deviceID) else {
            throw ServerError.user("Appareil inconnu dans « \(rest[0]) » : seul un ordinateur inscrit peut être importé.")
        }
        guard device.revokedAt == nil else { throw ServerError.user("L'appareil \(deviceID) est révoqué : import refusé.") }
        let response = try store.push(request, from: device, source: "usb:\(device.id)")
        let out = arguments[option: "out"] ?? rest[0] + ".receipts.json"
        let answer: JSONValue = ["device": .string(device.id), "response": response.json]
        guard FileManager.default.createFile(atPath: out, contents: Data(answer.canonicalBytes())) else {
            throw ServerError.user("Impossible d'écrire la réponse « \(out) ».")
        }
        try store.audit("import-events", by: by, detail: "\(device.id): \(response.accepted.count) acceptés")
        Console.out("Import de \(device.id) : \(response.accepted.count) acceptés, \(response.duplicates.count) déjà reçus, \(response.rejected.count) refusés.")
        Console.out("Réponse à rapporter sur l'ordinateur : \(out) (grille-agent import-receipts \(out))")
    }

    /// The state hash (docs/PROTOCOL.md, "State hash") of everything, or of the entities starting with
    /// `--prefix`: equal on every replica holding the same events.
    func hash() throws {
        try arguments.allowOnly(["db", "json", "prefix"], command: "hash")
        _ = try arguments.expectPositionals(0...0, after: 1, usage: "grille-server hash [--prefix PRÉFIXE] [--json]")
        let store = try openStore()
        let prefix = arguments[option: "prefix"]
        let hash = try Materializer.stateHash(in: store.db, entityPrefix: prefix)
        let events = try store.head()
        if json {
            Console.out(JSONValue.object(["hash": .string(hash), "prefix": prefix.map { .string($0) } ?? .null, "head": .int(events)]).prettyString())
        } else {
            Console.out(hash)
        }
    }

    /// `7d`, `12h`, `30m`, `90s` → milliseconds.
    static func parseDuration(_ text: String, option: String) throws -> Int64 {
        let units: [Character: Int64] = ["d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1_000]
        guard let unit = text.last, let factor = units[unit], let value = Int64(text.dropLast()), value > 0, value <= 10_000 else {
            throw UsageError("Durée invalide pour \(option) : « \(text) » (par exemple 7d, 12h, 30m, 90s).")
        }
        return value * factor
    }

    static func formatTime(_ ms: Int64, timezone: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "fr_FR")
        formatter.timeZone = TimeZone(identifier: timezone) ?? TimeZone(identifier: "Europe/Paris")
        formatter.dateFormat = "dd/MM/yyyy HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    static let help = """
        grille-server \(Grille.version) — serveur de coordination académique

        Utilisation : grille-server [--db CHEMIN] COMMANDE [OPTIONS]
        (sans --db : \(defaultDatabase))

          init --academy NOM [--timezone Europe/Paris]    crée la base d'une académie et sa clé des reçus
          serve [--listen 127.0.0.1:8080] [--max-skew 5m] [--trust-proxy]
                                                         sert les ordinateurs des évaluateurs ; --trust-proxy : derrière nginx,
                                                         croire X-Forwarded-For/-Proto venant de 127.0.0.1
          roster import DOSSIER --by ID                  importe la liste (5 fichiers CSV)
          enroll ÉVALUATEUR [--ttl 7d] --by ID [--json]  crée un code d'inscription à usage unique
          devices [--json]                               liste les ordinateurs inscrits
          revoke APPAREIL --by ID                        révoque un ordinateur (perdu, volé…)
          quarantine [--json]                            saisies mises de côté (évaluateur hors commission)
          import-events FICHIER [--out RÉPONSE] --by ID  synchronisation par clé USB
          hash [--prefix PRÉFIXE] [--json]               empreinte de l'état fusionné (contrôle de convergence)
          harmonise GRILLE --note X --reason TEXTE --by ID   harmonise la note d'une grille finale
          session deliberate|publish ANNÉE --by ID       délibère (fige) puis publie une session
          session retention ANNÉE AAAA-MM-JJ --by ID     date de fin de conservation des documents
          session show ANNÉE [--json]                    état d'une session
          purge --session ANNÉE --by ID --yes [--force]  efface définitivement une session (après l'archive)
          export fiche CANDIDAT --format html [--out F]  fiche d'évaluation V-5, après publication
        \(reportHelp)
          coordinator password ID [--by ID]              mot de passe du tableau de bord (/dashboard), lu sur l'entrée standard
          coordinator iterations N --by ID               coût PBKDF2 des nouveaux mots de passe (210000 par défaut)
          coordinator list [--json]                      coordonnateurs, mot de passe défini, sessions ouvertes
          backup CHEMIN                                  sauvegarde à chaud (le serveur continue)
          verify [CHEMIN] [--json]                       intégrité, nombre de saisies, empreinte
          restore SAUVEGARDE --yes                       restaure (serveur arrêté) ; nouvelle époque

        --by ID : l'identifiant du coordonnateur qui fait la modification (enregistré).
        Codes de sortie : 0 succès, 1 erreur de saisie, 2 erreur d'utilisation, 3 erreur interne.
        """
}

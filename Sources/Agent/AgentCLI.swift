import Foundation
import Shared

/// `grille-agent`: the evaluator's offline program. Messages for users are French; `--json` gives
/// machine-readable output on every read command. Exit codes: 0 ok, 1 user error, 2 usage error,
/// 3 internal error.
struct AgentCLI {
    static let valued: Set<String> = ["data", "as", "candidate", "template", "session", "situation", "option", "criterion",
                                      "server", "code", "interval", "prefix", "name", "number", "title", "file", "port"]
    static let flagNames: Set<String> = ["json", "help", "version", "reset", "prefill", "all", "witness", "no-open"]

    let arguments: CommandLineArguments
    let clock: any WallClock
    let environment: [String: String]
    let sink: OutputSink
    var services = Services.production

    /// What the sync commands reach the outside world with; tests replace the transport and the waits.
    struct Services: Sendable {
        /// The transport to a checked server address; one per command, so one `URLSession` per process.
        var transport: @Sendable (String) -> any Transport = { HTTPTransport(baseURL: $0) }
        var retry = SyncEngine.RetryPolicy()
        /// True when standard error is a terminal (progress lines are printed only then).
        var stderrIsTerminal: @Sendable () -> Bool = { () -> Bool in isatty(2) == 1 }

        static let production = Services()
    }

    /// Where the CLI prints: the terminal in production, a buffer in tests.
    struct OutputSink: Sendable {
        let out: @Sendable (String) -> Void
        let err: @Sendable (String) -> Void
        static let console = OutputSink(out: { Console.out($0) }, err: { Console.error($0) })
    }

    func say(_ text: String) { sink.out(text) }
    func warn(_ text: String) { sink.err(text) }

    /// Runs one command and returns its exit code.
    static func run(_ argv: [String], clock: any WallClock = SystemWallClock(),
                    environment: [String: String] = ProcessInfo.processInfo.environment,
                    sink: OutputSink = .console, services: Services = .production) -> Int32 {
        let warn = sink.err
        var dataFile: String?
        do {
            let arguments = try CommandLineArguments(argv, valued: valued, flags: flagNames)
            let cli = AgentCLI(arguments: arguments, clock: clock, environment: environment, sink: sink, services: services)
            dataFile = cli.dataDirectory + "/" + LocalStore.fileName
            try cli.dispatch()
            return ExitStatus.ok.rawValue
        } catch let error as UsageError {
            warn("grille-agent : \(error.message)\nAide : grille-agent --help")
            return ExitStatus.usage.rawValue
        } catch let error as AgentError {
            warn(error.message)
            return error.status.rawValue
        } catch let error as SyncError {
            warn(error.message)
            return ExitStatus.user.rawValue
        } catch let error as DatabaseError {
            let mapped = LocalStore.describe(error, path: "la base locale", file: dataFile)
            warn(mapped.message)
            return mapped.status.rawValue
        } catch {
            warn("Erreur interne : \(error)")
            return ExitStatus.internalError.rawValue
        }
    }

    var json: Bool { arguments.has("json") }
    var words: [String] { arguments.positionals }

    /// `--data DIR`, else `$GRILLE_HOME`, else `~/.local/share/grille`.
    var dataDirectory: String {
        if let explicit = arguments[option: "data"] { return explicit }
        if let home = environment["GRILLE_HOME"], !home.isEmpty { return home }
        let userHome = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return userHome + "/.local/share/grille"
    }

    func openStore() throws -> LocalStore {
        try LocalStore(directory: dataDirectory, clock: clock)
    }

    func dispatch() throws {
        if arguments.has("version") {
            say("grille-agent \(Grille.version)")
            return
        }
        guard let command = words.first, !arguments.has("help") else {
            say(AgentCLI.help)
            return
        }
        switch command {
        case "roster":
            guard words.count >= 2, words[1] == "import" else { throw UsageError("Utilisation : grille-agent roster import DOSSIER") }
            try rosterImport()
        case "whoami": try whoami()
        case "candidates": try candidates()
        case "grid": try grid()
        case "grids": try grids()
        case "conformity": try conformity()
        case "candidate": try candidate()
        case "log": try log()
        case "rebuild": try rebuild()
        case "hash": try stateHash()
        case "enroll": try enroll()
        case "sync": try syncCommand()
        case "status": try status()
        case "export-events": try exportEvents()
        case "import-receipts": try importReceipts()
        case "serve": try serve()
        case "help": say(AgentCLI.help)
        default:
            throw UsageError("Commande inconnue « \(command) ».")
        }
    }

    func output(_ value: JSONValue) {
        say(value.prettyString())
    }

    static let help = """
        grille-agent \(Grille.version) — grilles d'évaluation hors ligne

        Utilisation : grille-agent [--data DOSSIER] COMMANDE [OPTIONS]

        Identité et liste
          roster import DOSSIER              importe les fichiers CSV de la liste (établissements, évaluateurs,
                                             commissions, candidats, inscriptions)
          whoami --as IDENTIFIANT            choisit l'évaluateur qui saisit sur cet ordinateur
          whoami [--json]                    affiche l'identité
          candidates [--json]                candidats de mes commissions

        Grilles (GRILLE = identifiant complet ou fin unique de l'identifiant, par exemple 02614001/final)
          grid new --candidate NUMÉRO --template MODÈLE [--session ANNÉE] --situation A|B|final [--option negociation|evenement]
                   [--prefill]               crée une grille ; situation A : un entretien « au fil de l'eau » de plus
                                             (enseignant du bloc 1 seulement) ; --prefill (grille finale) reprend les
                                             derniers niveaux des entretiens A, les niveaux et l'option de la situation B
          grid set GRILLE CRITÈRE NIVEAU     coche un niveau (TI, I, S, TS) ; confirme une valeur pré-remplie
          grid clear GRILLE CRITÈRE          efface le niveau d'un critère
          grid confirm GRILLE CRITÈRE|--all  confirme une valeur pré-remplie (ou toutes) en gardant le niveau
          grid comment GRILLE CRITÈRE TEXTE  commente un critère
          grid field GRILLE CHAMP VALEUR     CHAMP : option, appreciation-A, appreciation-B, recommendations,
                                             note (« 14,5 » ou « 14.5 »), date (AAAA-MM-JJ)
          grid fdap GRILLE --number N --title TITRE
                                             FDAP dont vient la simulation (situation B)
          grid subject GRILLE --file FICHE.json
                                             fiche sujet candidat (V-2) et jury (V-3) : objet JSON de champs texte,
                                             64 Kio au plus
          grid show GRILLE [--json]          affiche la grille fusionnée, ses conflits, ses signatures et, en
                                             lecture seule, l'harmonisation du coordonnateur
          grid history GRILLE [--criterion CRITÈRE] [--json]
                                             historique des saisies, harmonisation comprise
          grid sign GRILLE                   signe la grille finale
          grid sign GRILLE --name "NOM Prénom" --witness
                                             un membre de la commission sans compte co-signe sur cet ordinateur,
                                             en votre présence (vous êtes témoin)
          grids [--candidate NUMÉRO] [--json]
          log [--json]                       journal des saisies
          rebuild                            recalcule l'état à partir du journal
          hash [--prefix PRÉFIXE] [--json]   empreinte de l'état fusionné (à comparer avec le serveur)

        Candidats et conformité (annexe V-8)
          candidate show NUMÉRO [--json]     inscriptions, conformité, entretiens A et progression par critère,
                                             situation B, grille finale et note retenue ; statut : à évaluer,
                                             en cours, à signer, complet, NV, AB
          conformity set CANDIDAT ok|absent|MOTIF [--template MODÈLE] [--session ANNÉE]
                                             MOTIF : no_dossier, late_dossier, short_internship, no_attestation,
                                             unsigned_documents (non conforme : NV, la grille finale ne se signe pas)
          conformity show CANDIDAT [--json]

        Une session délibérée ou publiée est close : plus aucune saisie n'y est acceptée.

        Synchronisation avec le serveur de l'académie
          enroll --server URL --code CODE [--reset]
                                             inscrit cet ordinateur avec le code donné par le coordonnateur ;
                                             --reset enregistre d'abord les saisies locales dans un fichier,
                                             puis repart d'un dossier vide (liste importée à la main, autre évaluateur)
          sync [--json]                      envoie les saisies en attente et reçoit celles des autres ; une
                                             session purgée par le serveur est effacée de cet ordinateur (ses
                                             saisies non envoyées sont d'abord écrites dans un fichier du dossier
                                             de données, dont le nom est indiqué)
          status [--json]                    saisies en attente, dernière synchronisation, serveur, décalage
                                             d'horloge, saisies refusées (avec le motif) ou en quarantaine
          export-events FICHIER              écrit les saisies en attente dans un fichier (clé USB, sans réseau)
          import-receipts FICHIER            applique le fichier de réponse rendu par le serveur
          serve [--port P] [--interval S] [--no-open]   interface de saisie dans le navigateur (127.0.0.1) et synchronisation toutes les S secondes (60) jusqu'à Ctrl-C

        Options générales
          --data DOSSIER   dossier de données (sinon $GRILLE_HOME, sinon ~/.local/share/grille)
          --json           sortie JSON
          --version, --help

        Codes de sortie : 0 succès, 1 erreur de saisie, 2 erreur d'utilisation, 3 erreur interne.
        """
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Shared

/// `grille-server coordinator password|iterations|list`: the coordinators' dashboard accounts.
extension ServerCLI {
    func coordinator() throws {
        let usage = "grille-server coordinator password ID [--by ID] | coordinator iterations N --by ID | coordinator list [--json]"
        guard words.count >= 2 else { throw UsageError("Utilisation : \(usage)") }
        switch words[1] {
        case "password":
            try arguments.allowOnly(["db", "by"], command: "coordinator password")
            let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-server coordinator password ID [--by ID]")
            let evaluator = rest[0]
            let store = try openStore()
            guard let person = store.roster.evaluator(evaluator) else {
                throw ServerError.user("Évaluateur inconnu « \(evaluator) » : il ne figure pas dans la liste importée.")
            }
            guard person.role == .coordinator || person.role == .academy else {
                throw ServerError.user("« \(evaluator) » n'est pas coordonnateur (rôle \(person.role.rawValue)) : seuls les coordonnateurs ont accès au tableau de bord.")
            }
            let password = try ServerCLI.readPassword(for: evaluator)
            try store.setCoordinatorPassword(evaluator, password: password, by: arguments[option: "by"] ?? evaluator)
            Console.out("Mot de passe du tableau de bord enregistré pour \(person.firstName) \(person.lastName.uppercased()) (\(evaluator)) ; ses sessions ouvertes sont fermées.")
        case "iterations":
            try arguments.allowOnly(["db", "by"], command: "coordinator iterations")
            let rest = try arguments.expectPositionals(1...1, after: 2, usage: "grille-server coordinator iterations N --by ID")
            let by = try requireBy()
            guard let count = Int(rest[0]) else { throw UsageError("Nombre d'itérations invalide « \(rest[0]) ».") }
            let store = try openStore()
            try store.setPasswordIterations(count, by: by)
            Console.out("Mots de passe définis désormais avec PBKDF2-HMAC-SHA256 à \(count) itérations.")
            if count < CoordinatorPolicy.productionIterations {
                Console.error("Attention : moins de \(CoordinatorPolicy.productionIterations) itérations ne convient qu'à une académie d'essai.")
            }
        case "list":
            try arguments.allowOnly(["db", "json"], command: "coordinator list")
            _ = try arguments.expectPositionals(0...0, after: 2, usage: "grille-server coordinator list [--json]")
            let store = try openStore()
            let accounts = try store.coordinatorAccounts()
            if json {
                Console.out(JSONValue.object([
                    "iterations": .int(Int64(try store.passwordIterations())),
                    "coordinators": .array(accounts.map { account in
                        .object(["id": .string(account.evaluator.id), "role": .string(account.evaluator.role.rawValue),
                                 "establishment": account.evaluator.establishment.map { .string($0) } ?? .null,
                                 "password_set_at": account.passwordSetAt.map { .int($0) } ?? .null,
                                 "open_sessions": .int(Int64(account.sessions))])
                    }),
                ]).prettyString())
                return
            }
            Console.out("PBKDF2-HMAC-SHA256, \(try store.passwordIterations()) itérations pour les nouveaux mots de passe.")
            if accounts.isEmpty { Console.out("Aucun coordonnateur dans la liste.") }
            for account in accounts {
                let password = account.passwordSetAt.map { "mot de passe défini le \(ServerCLI.formatTime($0, timezone: store.timezone))" } ?? "pas de mot de passe"
                Console.out("\(account.evaluator.id)  \(ReportText.role(account.evaluator.role))  \(account.evaluator.establishment ?? "—")  \(password)  \(account.sessions) session(s) ouverte(s)")
            }
        default:
            throw UsageError("Action inconnue « coordinator \(words[1]) ». Utilisation : \(usage)")
        }
    }

    /// The new password from standard input: at a terminal, asked twice without echo; otherwise one line
    /// (scripts and tests pipe it in). Never an argument, which `ps` would show.
    static func readPassword(for evaluator: String) throws -> String {
        guard isatty(0) == 1 else {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ServerError.user("Aucun mot de passe lu sur l'entrée standard (une ligne attendue).")
            }
            return line
        }
        let first = try promptHidden("Nouveau mot de passe pour \(evaluator) (\(CoordinatorPolicy.minimumPasswordLength) caractères au moins) : ")
        let second = try promptHidden("Confirmez le mot de passe : ")
        guard first == second else { throw ServerError.user("Les deux saisies diffèrent : rien n'a été modifié.") }
        return first
    }

    /// Reads one line from the terminal with echo off (termios), restoring the terminal afterwards.
    private static func promptHidden(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        let hasTerminal = tcgetattr(0, &saved) == 0
        if hasTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(0, TCSAFLUSH, &silent)
        }
        defer {
            if hasTerminal { _ = tcsetattr(0, TCSAFLUSH, &saved) }
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw ServerError.user("Saisie interrompue : rien n'a été modifié.") }
        return line
    }
}

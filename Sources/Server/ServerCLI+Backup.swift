import Foundation
import Shared

extension ServerCLI {
    /// `backup PATH`: an online backup while the server keeps serving.
    func backup() throws {
        try arguments.allowOnly(["db"], command: "backup")
        let rest = try arguments.expectPositionals(1...1, after: 1, usage: "grille-server backup CHEMIN")
        let store = try openStore()
        try store.backup(to: rest[0])
        let check = try ServerStore.verify(path: rest[0])
        Console.out("Sauvegarde écrite dans \(rest[0]) : \(check.events) saisies, empreinte \(check.stateHash.prefix(16))…")
        Console.out("Conservez avec elle la clé des reçus (\(ServerStore.keyPath(for: databasePath))) et le journal (\(ServerJournal(databasePath: databasePath).path)).")
    }

    /// `verify PATH`: integrity check, event count, state hash.
    func verify() throws {
        try arguments.allowOnly(["db", "json"], command: "verify")
        let rest = try arguments.expectPositionals(0...1, after: 1, usage: "grille-server verify [CHEMIN] [--json]")
        let path = rest.first ?? databasePath
        let check = try ServerStore.verify(path: path)
        if json {
            Console.out(JSONValue.object(["path": .string(path), "ok": .bool(check.problems.isEmpty), "problems": .array(check.problems.map { .string($0) }),
                                          "events": .int(check.events), "head": .int(check.head), "state_hash": .string(check.stateHash),
                                          "epoch": .string(check.epoch), "schema": .int(Int64(check.schema))]).prettyString())
        } else {
            Console.out(check.problems.isEmpty ? "Intégrité : correcte" : "Intégrité : PROBLÈMES\n" + check.problems.map { "  " + $0 }.joined(separator: "\n"))
            Console.out("Saisies : \(check.events) (dernier numéro \(check.head)) ; schéma \(check.schema) ; époque \(check.epoch)")
            Console.out("Empreinte de l'état : \(check.stateHash)")
        }
        if !check.problems.isEmpty { throw ServerError(500, "corrupt", "La base « \(path) » est endommagée.") }
    }

    /// `restore BACKUP --yes`: the server must be stopped.
    func restore() throws {
        try arguments.allowOnly(["db", "yes"], command: "restore")
        let rest = try arguments.expectPositionals(1...1, after: 1, usage: "grille-server restore SAUVEGARDE --yes")
        guard arguments.has("yes") else {
            throw UsageError("La restauration remplace la base \(databasePath) par « \(rest[0]) » ; arrêtez le serveur puis confirmez avec --yes.")
        }
        let lock = try ServerLock(databasePath: databasePath)
        guard lock.acquire() else {
            throw ServerError.user("Le serveur tourne encore sur \(databasePath) : arrêtez-le (systemctl stop grille-server) avant de restaurer.")
        }
        let result = try ServerStore.restore(path: databasePath, from: rest[0], clock: clock)
        Console.out("Base restaurée depuis \(rest[0]) ; nouvelle époque \(result.epoch) ; \(result.replayed) entrées du journal rejouées (inscriptions, révocations, purges).")
        Console.out("À leur prochaine synchronisation, les ordinateurs renverront les saisies que la sauvegarde ne contient pas.")
    }
}

/// An advisory lock on `<db>.lock`, held by `serve` for its whole life, so `restore` never replaces the
/// file under a running server.
final class ServerLock {
    private let fd: Int32

    init(databasePath: String) throws {
        fd = open(databasePath + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ServerError.user("Impossible de créer « \(databasePath).lock ».") }
    }

    func acquire() -> Bool { flock(fd, LOCK_EX | LOCK_NB) == 0 }

    deinit { close(fd) }
}

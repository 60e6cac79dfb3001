#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Shared

/// `grille-server`: the academy's coordinator server. This release only answers `--version` and
/// `--help`; the sync server comes with the "Coordinator server and sync" milestone.
let help = """
    grille-server \(Grille.version) — serveur de coordination académique

    Utilisation : grille-server [--version | --help]

    Les commandes init, serve, roster, enroll, devices et revoke arrivent avec la synchronisation.
    """

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    let parsed = try CommandLineArguments(arguments, valued: ["db"], flags: ["version", "help"])
    if parsed.has("version") {
        Console.out("grille-server \(Grille.version)")
    } else if parsed.has("help") || parsed.positionals.isEmpty {
        Console.out(help)
    } else {
        Console.error("grille-server : commande inconnue « \(parsed.positionals[0]) ».\nAide : grille-server --help")
        exit(2)
    }
} catch {
    Console.error("grille-server : \(error.message)\nAide : grille-server --help")
    exit(2)
}

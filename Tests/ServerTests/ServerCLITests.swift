import Testing
import TestSupport
import Shared

@Suite struct ServerCLITests {
    @Test func versionAndHelpAreAnswered() throws {
        let version = try TestProcess.run("grille-server", ["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == "grille-server \(Grille.version)\n")
        let help = try TestProcess.run("grille-server", ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Utilisation"))
    }

    @Test(arguments: [["serve-everything"], ["--frobnicate"], ["--db"]])
    func badUsageExitsWithTwoAndAFrenchMessage(arguments: [String]) throws {
        let result = try TestProcess.run("grille-server", arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains("Aide : grille-server --help"))
    }
}

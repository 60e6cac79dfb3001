import Testing
@testable import Shared

@Test func versionIsSet() { #expect(!Grille.version.isEmpty) }

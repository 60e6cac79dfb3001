import Foundation
@testable import Shared

/// A small valid roster written to a temporary directory, for tests that alter one file.
enum RosterFixtures {
    static let templateIDs: Set<String> = ["ndrc-e4-ccf", "ndrc-e6-ccf", "ndrc-ef2", "mcv-b-e2"]

    static let demoDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("demo/roster")

    static let files: [String: String] = [
        "establishments.csv": """
            uai,name,city
            0751234A,Lycée Test,Paris
            0691234B,"Lycée Autre, annexe",Lyon

            """,
        "evaluators.csv": """
            id,last_name,first_name,email,establishment,role
            ev-1,Martin,Anne,anne.martin@example.fr,0751234A,teacher
            ev-2,Durand,Luc,luc.durand@example.fr,0751234A,professional
            ev-3,Petit,Rose,rose.petit@example.fr,0751234A,coordinator
            ev-4,Roux,Paul,paul.roux@example.fr,,academy
            ev-5,Blanc,Léa,lea.blanc@example.fr,0691234B,teacher

            """,
        "commissions.csv": """
            id,establishment,template,session,members
            c-1,0751234A,ndrc-e4-ccf,2026,ev-1;ev-2
            c-2,0691234B,ndrc-e4-ccf,2026,ev-5
            c-3,0751234A,ndrc-e6-ccf,2026,ev-1
            c-4,0751234A,ndrc-e4-ccf,2026,ev-2

            """,
        "candidates.csv": """
            number,last_name,first_name,establishment,internship_weeks
            001,Leroy,Jade,0751234A,16
            002,Moreau,Hugo,0751234A,14
            003,Garnier,Inès,0691234B,18

            """,
        "registrations.csv": """
            candidate,commission
            001,c-1
            002,c-1
            003,c-2
            001,c-3

            """,
    ]

    /// How a test changes one file of the fixture.
    enum Edit: Sendable {
        /// Replace the first occurrence of a text, which must be present.
        case replace(String, String)
        case append(String)
        case appendBytes([UInt8])
        case content(String)
        case bytes([UInt8])
        case remove
        case directory
    }

    /// A fresh directory holding the fixture with `edits` applied; the caller removes it.
    static func makeDirectory(_ edits: [(file: String, edit: Edit)] = [], files: [String: String] = files) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("grille-roster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var contents = files.mapValues { Array($0.utf8) }
        for (file, edit) in edits {
            let url = directory.appendingPathComponent(file)
            switch edit {
            case .replace(let old, let new):
                let text = String(decoding: contents[file]!, as: UTF8.self)
                guard let range = text.range(of: old) else { throw FixtureError.missingText(old, file) }
                contents[file] = Array(text.replacingCharacters(in: range, with: new).utf8)
            case .append(let line):
                contents[file]! += Array((line + "\n").utf8)
            case .appendBytes(let bytes):
                contents[file]! += bytes
            case .content(let text):
                contents[file] = Array(text.utf8)
            case .bytes(let bytes):
                contents[file] = bytes
            case .remove:
                contents[file] = nil
            case .directory:
                contents[file] = nil
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
            }
        }
        for (file, bytes) in contents {
            try Data(bytes).write(to: directory.appendingPathComponent(file))
        }
        return directory
    }

    enum FixtureError: Error {
        case missingText(String, String)
    }
}

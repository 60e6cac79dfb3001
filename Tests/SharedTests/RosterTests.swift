import Foundation
import Testing
@testable import Shared

@Suite struct RosterLoadingTests {
    @Test func demoRosterLoads() throws {
        let roster = try Roster.load(directory: RosterFixtures.demoDirectory, templateIDs: RosterFixtures.templateIDs)
        #expect(roster.establishments.count == 3)
        #expect(roster.evaluators.count == 12)
        #expect(roster.commissions.count == 4)
        #expect(roster.candidates.count == 30)
        #expect(roster.registrations.count == 34)
        #expect(roster.establishment("0691235B")?.name == "Lycée Jeanne-d'Arbois, site tertiaire")
        #expect(roster.candidate("02614002")?.lastName == "N'Diaye")
        #expect(roster.evaluators.filter { $0.role == .academy }.map(\.establishment) == [nil])
        #expect(roster.candidates.filter { $0.internshipWeeks < 16 }.count == 2)

        let first = try #require(roster.commission(forCandidate: "02614001", template: "ndrc-e4-ccf", session: "2026"))
        #expect(first.id == roster.commissions.first?.id)
        #expect(first.members == ["ev-0101", "ev-0102"])
        for candidate in roster.candidates {
            #expect(roster.commission(forCandidate: candidate.number, template: "ndrc-e4-ccf", session: "2026") != nil)
        }
    }

    @Test func loadingTwiceGivesEqualRosters() throws {
        let first = try Roster.load(directory: RosterFixtures.demoDirectory, templateIDs: RosterFixtures.templateIDs)
        let second = try Roster.load(directory: RosterFixtures.demoDirectory, templateIDs: RosterFixtures.templateIDs)
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
    }

    @Test func fixtureLoadsWithLookups() throws {
        let directory = try RosterFixtures.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let roster = try Roster.load(directory: directory, templateIDs: RosterFixtures.templateIDs)

        #expect(roster.evaluator("ev-4")?.establishment == nil)
        #expect(roster.evaluator("ev-4")?.role == .academy)
        #expect(roster.evaluator("ev-9") == nil)
        #expect(roster.commissions(of: "ev-1").map(\.id) == ["c-1", "c-3"])
        #expect(roster.commissions(of: "ev-3").isEmpty)
        #expect(roster.registrations(of: "001") == [
            Roster.Registration(candidate: "001", commission: "c-1"),
            Roster.Registration(candidate: "001", commission: "c-3"),
        ])
        #expect(roster.candidates(in: "c-1").map(\.number) == ["001", "002"])
        #expect(roster.candidates(in: "c-4").isEmpty)
        #expect(roster.commission(forCandidate: "001", template: "ndrc-e6-ccf", session: "2026")?.id == "c-3")
        #expect(roster.commission(forCandidate: "001", template: "ndrc-e6-ccf", session: "2027") == nil)
        #expect(roster.commission(forCandidate: "003", template: "ndrc-e6-ccf", session: "2026") == nil)
        #expect(roster.candidate("002")?.internshipWeeks == 14)
    }

    @Test func headerOrderSpacesCaseAndLineEndsAreTolerated() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let directory = try RosterFixtures.makeDirectory([
            ("candidates.csv", .bytes(bom + Array("""
                internship_weeks , establishment,number,first_name,last_name\r
                 16 ,0751234a,  001 ,"  Jade ",Leroy\r
                \r
                14,0751234A,002,Hugo,Moreau\r
                18,0691234B,003,Inès,Garnier\r

                """.utf8))),
            ("commissions.csv", .replace("ev-1;ev-2", " ev-1 ; ev-2 ")),
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let roster = try Roster.load(directory: directory, templateIDs: RosterFixtures.templateIDs)
        let plain = try loadFixture()
        #expect(roster == plain)
        #expect(roster.candidates.first == Roster.Candidate(
            number: "001", lastName: "Leroy", firstName: "Jade", establishment: "0751234A", internshipWeeks: 16
        ))
        #expect(roster.commission("c-1")?.members == ["ev-1", "ev-2"])
    }

    @Test func errorDescriptionNamesFileLineAndColumn() throws {
        let directory = try RosterFixtures.makeDirectory([("candidates.csv", .replace(",14\n", ",douze\n"))])
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: RosterError.self) {
            try Roster.load(directory: directory, templateIDs: RosterFixtures.templateIDs)
        }
        #expect(error?.description == "candidates.csv, ligne 3, colonne « internship_weeks » : « douze » n'est pas un nombre entier de semaines.")
        #expect(RosterError(file: "evaluators.csv", line: nil, column: nil, message: "Fichier vide.").description == "evaluators.csv : Fichier vide.")
        #expect(RosterError(file: "evaluators.csv", line: 2, column: nil, message: "Trop de champs.").description == "evaluators.csv, ligne 2 : Trop de champs.")
    }

    private func loadFixture() throws -> Roster {
        let directory = try RosterFixtures.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        return try Roster.load(directory: directory, templateIDs: RosterFixtures.templateIDs)
    }
}

@Suite struct RosterRejectionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let file: String
        let edit: RosterFixtures.Edit
        let line: Int?
        let column: String?
        let limits: RosterTable.Limits
        var testDescription: String { name }

        init(_ name: String, _ file: String, _ edit: RosterFixtures.Edit, line: Int?, column: String?, limits: RosterTable.Limits = .default) {
            self.name = name
            self.file = file
            self.edit = edit
            self.line = line
            self.column = column
            self.limits = limits
        }
    }

    static let e = "establishments.csv"
    static let v = "evaluators.csv"
    static let m = "commissions.csv"
    static let c = "candidates.csv"
    static let r = "registrations.csv"

    static let cases: [Case] = [
        // Files
        Case("missing file", c, .remove, line: nil, column: nil),
        Case("directory instead of a file", r, .directory, line: nil, column: nil),
        Case("empty file", v, .content(""), line: nil, column: nil),
        Case("byte-order mark and blank lines only", m, .bytes([0xEF, 0xBB, 0xBF, 0x0A, 0x0D, 0x0A]), line: nil, column: nil),
        Case("file too large", e, .append(""), line: nil, column: nil, limits: .init(maxFileBytes: 60, maxRows: 100)),
        Case("too many lines", v, .append(""), line: 5, column: "id", limits: .init(maxFileBytes: 1 << 20, maxRows: 4)),
        // Header
        Case("missing column", e, .replace("uai,name,city", "uai,name"), line: 1, column: "city"),
        Case("unknown column", v, .replace("email,", "mail,"), line: 1, column: "mail"),
        Case("column in upper case", c, .replace("number,", "Number,"), line: 1, column: "Number"),
        Case("column twice", r, .content("candidate,candidate\n"), line: 1, column: "candidate"),
        Case("column without a name", r, .content("candidate,commission,\n001,c-1,\n"), line: 1, column: nil),
        Case("semicolon separator", e, .content("uai;name;city\n0751234A;Lycée;Paris\n"), line: 1, column: nil),
        // CSV syntax, reported with the column's name
        Case("wrong field count", c, .replace("0751234A,14", "0751234A"), line: 3, column: nil),
        Case("unquoted comma", e, .replace("\"Lycée Autre, annexe\"", "Lycée Autre, annexe"), line: 3, column: nil),
        Case("quote inside an unquoted field", c, .replace("Garnier", "Gar\"nier"), line: 4, column: "last_name"),
        Case("unterminated quoted field", r, .append("\"002,c-1"), line: 6, column: "candidate"),
        Case("invalid UTF-8", e, .appendBytes(Array("0131234Z,Lyc".utf8) + [0xE9] + Array(",Marseille\n".utf8)), line: 4, column: "name"),
        Case("NUL byte", c, .appendBytes(Array("004,Nul".utf8) + [0] + Array(",Jean,0751234A,16\n".utf8)), line: 5, column: "last_name"),
        // Values
        Case("empty required field", c, .replace("002,Moreau", "002,  "), line: 3, column: "last_name"),
        Case("teacher without establishment", v, .replace("anne.martin@example.fr,0751234A", "anne.martin@example.fr,"), line: 2, column: "establishment"),
        Case("control character in a name", v, .replace("Martin", "\"Mar\ttin\""), line: 2, column: "last_name"),
        Case("line break in a name", v, .replace("Durand", "\"Du\nrand\""), line: 3, column: "last_name"),
        Case("id with a slash", v, .replace("ev-5,", "ev/5,"), line: 6, column: "id"),
        Case("number with a space", c, .replace("003,", "0 03,"), line: 4, column: "number"),
        Case("id with an accent", m, .replace("c-4,", "c-é,"), line: 5, column: "id"),
        Case("id made of dots", m, .replace("c-4,", "..,"), line: 5, column: "id"),
        Case("id too long", m, .replace("c-4,", String(repeating: "x", count: 65) + ","), line: 5, column: "id"),
        Case("malformed UAI", e, .replace("0691234B,", "069123B,"), line: 3, column: "uai"),
        Case("two-digit session", m, .replace("ndrc-e6-ccf,2026", "ndrc-e6-ccf,26"), line: 4, column: "session"),
        Case("unknown template", m, .replace("ndrc-e6-ccf", "ndrc-e5"), line: 4, column: "template"),
        Case("unknown role", v, .replace("coordinator", "coordinateur"), line: 4, column: "role"),
        Case("email without @", v, .replace("luc.durand@example.fr", "luc.durand.example.fr"), line: 3, column: "email"),
        Case("email with two @", v, .replace("paul.roux@example.fr", "paul@roux@example.fr"), line: 5, column: "email"),
        Case("email without domain", v, .replace("lea.blanc@example.fr", "lea.blanc@"), line: 6, column: "email"),
        Case("weeks not a number", c, .replace(",16\n", ",douze\n"), line: 2, column: "internship_weeks"),
        Case("weeks above 104", c, .replace(",18\n", ",105\n"), line: 4, column: "internship_weeks"),
        Case("negative weeks", c, .replace(",14\n", ",-1\n"), line: 3, column: "internship_weeks"),
        Case("weeks overflowing", c, .replace(",14\n", ",99999999999999999999999\n"), line: 3, column: "internship_weeks"),
        // Duplicates
        Case("duplicate UAI", e, .append("0751234a,Lycée Bis,Paris"), line: 4, column: "uai"),
        Case("duplicate evaluator id", v, .append("ev-2,Autre,Luc,autre@example.fr,0751234A,teacher"), line: 7, column: "id"),
        Case("duplicate commission id", m, .append("c-1,0751234A,ndrc-e4-ccf,2027,ev-1"), line: 6, column: "id"),
        Case("duplicate candidate number", c, .append("001,Autre,Jade,0751234A,16"), line: 5, column: "number"),
        Case("duplicate registration", r, .append("002,c-1"), line: 6, column: "commission"),
        Case("second commission for one épreuve", r, .append("001,c-4"), line: 6, column: "commission"),
        // References
        Case("evaluator of an unknown establishment", v, .replace("0691234B,teacher", "0691234C,teacher"), line: 6, column: "establishment"),
        Case("academy evaluator of an unknown establishment", v, .replace(",,academy", ",0131234Z,academy"), line: 5, column: "establishment"),
        Case("commission of an unknown establishment", m, .replace("c-2,0691234B", "c-2,0131234Z"), line: 3, column: "establishment"),
        Case("candidate of an unknown establishment", c, .replace("Inès,0691234B", "Inès,0131234Z"), line: 4, column: "establishment"),
        Case("unknown member", m, .replace("ev-1;ev-2", "ev-1;ev-9"), line: 2, column: "members"),
        Case("coordinator as member", m, .replace("ev-1;ev-2", "ev-1;ev-3"), line: 2, column: "members"),
        Case("academy evaluator as member", m, .replace("2026,ev-2", "2026,ev-4"), line: 5, column: "members"),
        Case("member twice", m, .replace("ev-1;ev-2", "ev-1; ev-1"), line: 2, column: "members"),
        Case("no member", m, .replace("2026,ev-5", "2026,"), line: 3, column: "members"),
        Case("empty member in the list", m, .replace("ev-1;ev-2", "ev-1;;ev-2"), line: 2, column: "members"),
        Case("unknown candidate", r, .append("009,c-1"), line: 6, column: "candidate"),
        Case("unknown commission", r, .append("002,c-9"), line: 6, column: "commission"),
        Case("commission of another establishment", r, .append("003,c-1"), line: 6, column: "commission"),
    ]

    @Test(arguments: cases)
    func rejectsWithFileLineAndColumn(_ example: Case) throws {
        let directory = try RosterFixtures.makeDirectory([(example.file, example.edit)])
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: RosterError.self) {
            try Roster.load(directory: directory, templateIDs: RosterFixtures.templateIDs, limits: example.limits)
        }
        #expect(error?.file == example.file)
        #expect(error?.line == example.line)
        #expect(error?.column == example.column)
        #expect(error?.message.isEmpty == false)
    }
}

import CSQLite
import Foundation
import Testing
import TestSupport
@testable import Shared

@Suite struct DatabaseTests {
    static let migrations = [
        Migration(version: 1, name: "t", sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;"),
        Migration(version: 2, name: "t.extra", sql: "ALTER TABLE t ADD COLUMN extra TEXT;"),
    ]

    func make(_ tmp: TemporaryDirectory, options: Database.Options = .init()) throws -> Database {
        let db = try Database(path: tmp.sub("test.sqlite"), options: options)
        try db.migrate(application: "test", migrations: Self.migrations)
        return db
    }

    @Test func walIsOnAndReadBack() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        let db = try make(tmp)
        #expect(try db.journalMode() == "wal")
    }

    @Test func statementsArePreparedOnceAndReused() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        let db = try make(tmp)
        let a = try db.statement("SELECT count(*) FROM t")
        let b = try db.statement("SELECT count(*) FROM t")
        #expect(a === b)
    }

    @Test func errorsCarryTheExtendedCodeAndTheSQL() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        let db = try make(tmp)
        try db.run("INSERT INTO t (name) VALUES (?)", "a")
        do {
            try db.run("INSERT INTO t (name) VALUES (?)", "a")
            Issue.record("duplicate accepted")
        } catch {
            #expect(error.code == 2067)   // SQLITE_CONSTRAINT_UNIQUE
            #expect(error.isConstraint)
            #expect(error.sql == "INSERT INTO t (name) VALUES (?)")
        }
        do {
            _ = try db.query("SELEC nonsense")
            Issue.record("bad SQL accepted")
        } catch {
            #expect(error.primaryCode == SQLITE_ERROR)
            #expect(error.sql == "SELEC nonsense")
            #expect(error.description.contains("SELEC nonsense"))
        }
    }

    @Test func aWriteThatThrowsIsRolledBackWhole() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        let db = try make(tmp)
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.write {
                try db.run("INSERT INTO t (name) VALUES (?)", "x")
                try db.run("INSERT INTO t (name) VALUES (?)", "y")
                throw Boom()
            }
        }
        #expect(try db.scalarInt("SELECT count(*) FROM t") == 0)
        #expect(!db.isInTransaction)
    }

    @Test func migrationsAreNumberedRecordedAndAppliedOnce() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        let db = try make(tmp)
        #expect(try db.schemaVersion() == 2)
        #expect(try db.query("SELECT version, name FROM grille_migrations ORDER BY version").map { $0.int(0) } == [1, 2])
        try db.migrate(application: "test", migrations: Self.migrations)   // no-op
        #expect(try db.scalarInt("SELECT count(*) FROM grille_migrations") == 2)
        // An older program (knowing only step 1) refuses the newer file, which stays untouched.
        let older = try Database(path: tmp.sub("test.sqlite"))
        #expect(throws: SchemaError.newerSchema(path: tmp.sub("test.sqlite"), found: 2, supported: 1)) {
            try older.migrate(application: "test", migrations: Array(Self.migrations.prefix(1)))
        }
        #expect(try older.schemaVersion() == 2)
        #expect(SchemaError.newerSchema(path: "x", found: 2, supported: 1).description.contains("version plus récente"))
    }

    @Test func aFileOfAnotherApplicationIsRefused() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        _ = try make(tmp)
        let db = try Database(path: tmp.sub("test.sqlite"))
        #expect(throws: SchemaError.self) { try db.migrate(application: "other", migrations: Self.migrations) }
        let foreign = try Database(path: tmp.sub("foreign.sqlite"))
        try foreign.execute("CREATE TABLE notes (x)")
        #expect(throws: SchemaError.wrongApplication(path: tmp.sub("foreign.sqlite"), found: "inconnue")) {
            try foreign.migrate(application: "test", migrations: Self.migrations)
        }
    }

    @Test func aFileThatIsNotADatabaseIsReportedCorrupt() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: tmp.sub("junk.sqlite")))
        do {
            _ = try Database(path: tmp.sub("junk.sqlite"))
            Issue.record("junk opened")
        } catch {
            #expect(error.isCorrupt)
        }
    }

    @Test func aSecondWriterWaitsForTheBusyTimeoutThenGetsBusy() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        let first = try make(tmp)
        var options = Database.Options()
        options.busyTimeoutMilliseconds = 50
        let second = try Database(path: tmp.sub("test.sqlite"), options: options)
        try first.execute("BEGIN IMMEDIATE")
        do {
            try second.write { try second.run("INSERT INTO t (name) VALUES ('b')") }
            Issue.record("two writers at once")
        } catch let error as DatabaseError {
            #expect(error.isBusy)
        }
        try first.execute("COMMIT")
        try second.write { try second.run("INSERT INTO t (name) VALUES ('b')") }
        #expect(try first.scalarInt("SELECT count(*) FROM t") == 1)
    }

    @Test func integrityCheckIsEmptyOnASoundFile() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        let db = try make(tmp)
        #expect(try db.integrityCheck().isEmpty)
        try db.checkpoint()
    }

    @Test func valuesRoundTripThroughEveryStorageClass() throws {
        let tmp = TemporaryDirectory("db"); defer { tmp.remove() }
        let db = try make(tmp)
        try db.execute("CREATE TABLE v (a, b, c, d, e)")
        try db.run("INSERT INTO v VALUES (?, ?, ?, ?, ?)", values: [.null, .integer(Int64.min), .real(1.5), .text("é\u{0}x"), .blob([0, 255])])
        let row = try db.queryOne("SELECT a, b, c, d, e FROM v")!
        #expect(row[0] == .null)
        #expect(row[1] == .integer(Int64.min))
        #expect(row[2] == .real(1.5))
        #expect(row[4] == .blob([0, 255]))
    }
}

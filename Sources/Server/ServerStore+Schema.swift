import Shared

extension ServerStore {
    /// The server's schema, one numbered step per release that changed it. Never edit a released step.
    static let migrations: [Migration] = [
        Migration(version: 1, name: "event log, state, devices, enrollment, controls, quarantine", sql: """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
            CREATE TABLE events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                entity TEXT NOT NULL,
                field TEXT NOT NULL,
                body TEXT NOT NULL,
                scope TEXT NOT NULL,
                author TEXT NOT NULL,
                device TEXT NOT NULL,
                wall INTEGER NOT NULL,
                counter INTEGER NOT NULL,
                applied INTEGER NOT NULL DEFAULT 1,
                receipt TEXT NOT NULL,
                received_at INTEGER NOT NULL,
                received_from TEXT NOT NULL
            ) STRICT;
            CREATE INDEX events_by_key ON events (entity, field) WHERE applied = 1;
            CREATE INDEX events_by_scope ON events (scope, seq);
            \(Materializer.stateSchema)
            CREATE TABLE devices (
                id TEXT PRIMARY KEY,
                evaluator TEXT NOT NULL,
                token_hash TEXT NOT NULL UNIQUE,
                enrolled_at INTEGER NOT NULL,
                revoked_at INTEGER,
                revoked_by TEXT,
                last_seen INTEGER,
                clock_offset_ms INTEGER
            ) STRICT;
            CREATE TABLE enrollment_codes (
                code_hash TEXT PRIMARY KEY,
                evaluator TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                created_by TEXT NOT NULL,
                used_at INTEGER,
                used_by_device TEXT
            ) STRICT;
            CREATE TABLE controls (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                device TEXT NOT NULL,
                type TEXT NOT NULL,
                scope TEXT NOT NULL,
                created_at INTEGER NOT NULL
            ) STRICT;
            CREATE INDEX controls_by_device ON controls (device, id);
            CREATE TABLE quarantine (
                id TEXT PRIMARY KEY,
                body TEXT NOT NULL,
                device TEXT NOT NULL,
                author TEXT NOT NULL,
                entity TEXT NOT NULL,
                code TEXT NOT NULL,
                reason TEXT NOT NULL,
                received_at INTEGER NOT NULL
            ) STRICT;
            CREATE TABLE rejections (
                n INTEGER PRIMARY KEY,
                id TEXT NOT NULL,
                device TEXT NOT NULL,
                code TEXT NOT NULL,
                reason TEXT NOT NULL,
                at INTEGER NOT NULL
            ) STRICT;
            CREATE TABLE audit (
                n INTEGER PRIMARY KEY,
                at INTEGER NOT NULL,
                by TEXT NOT NULL,
                action TEXT NOT NULL,
                detail TEXT NOT NULL
            ) STRICT;
            """),
        Migration(version: 2, name: "sessions: purges, session of audit lines and rejections", sql: """
            ALTER TABLE rejections ADD COLUMN entity TEXT;
            ALTER TABLE audit ADD COLUMN session TEXT;
            CREATE TABLE purged_sessions (
                session TEXT PRIMARY KEY,
                purged_at INTEGER NOT NULL,
                purged_by TEXT NOT NULL,
                events INTEGER NOT NULL,
                grids INTEGER NOT NULL
            ) STRICT;
            """),
        Migration(version: 3, name: "dashboard: coordinator passwords, web sessions, login throttling", sql: """
            CREATE TABLE coordinator_credentials (
                evaluator TEXT PRIMARY KEY,
                salt TEXT NOT NULL,
                iterations INTEGER NOT NULL,
                hash TEXT NOT NULL,
                set_at INTEGER NOT NULL,
                set_by TEXT NOT NULL
            ) STRICT;
            CREATE TABLE web_sessions (
                token_hash TEXT PRIMARY KEY,
                evaluator TEXT NOT NULL,
                csrf TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                last_seen INTEGER NOT NULL,
                address TEXT NOT NULL
            ) STRICT;
            CREATE INDEX web_sessions_by_evaluator ON web_sessions (evaluator);
            CREATE TABLE login_throttle (
                key TEXT PRIMARY KEY,
                failures INTEGER NOT NULL,
                first_failure_at INTEGER NOT NULL,
                locked_until INTEGER
            ) STRICT;
            """),
        Migration(version: 4, name: "dangling prev references (events that arrive after their successor)", sql: """
            \(Materializer.danglingSchema)
            \(Materializer.danglingBackfill(order: "seq"))
            """),
    ]
}

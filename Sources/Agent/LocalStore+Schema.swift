import Shared

extension LocalStore {
    /// The agent's schema, one numbered step per release that changed it. Never edit a released step:
    /// add a new one.
    static let migrations: [Migration] = [
        Migration(version: 1, name: "event log, state, roster, settings", sql: """
            CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
            CREATE TABLE clock (id INTEGER PRIMARY KEY CHECK (id = 1), wall INTEGER NOT NULL, counter INTEGER NOT NULL) STRICT;
            CREATE TABLE events (
                seqno INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                entity TEXT NOT NULL,
                field TEXT NOT NULL,
                body TEXT NOT NULL,
                wall INTEGER NOT NULL,
                counter INTEGER NOT NULL,
                device TEXT NOT NULL,
                author TEXT NOT NULL,
                applied INTEGER NOT NULL,
                origin TEXT NOT NULL CHECK (origin IN ('local', 'remote')),
                sync_state TEXT NOT NULL CHECK (sync_state IN ('pending', 'accepted', 'rejected', 'remote')),
                server_seq INTEGER,
                receipt TEXT,
                reject_code TEXT,
                reject_reason TEXT,
                recorded_at INTEGER NOT NULL
            ) STRICT;
            CREATE INDEX events_by_key ON events (entity, field) WHERE applied = 1;
            CREATE INDEX events_pending ON events (sync_state) WHERE sync_state = 'pending';
            \(Materializer.stateSchema)
            CREATE TABLE roster_establishments (uai TEXT PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL) STRICT;
            CREATE TABLE roster_evaluators (
                id TEXT PRIMARY KEY, last_name TEXT NOT NULL, first_name TEXT NOT NULL, email TEXT NOT NULL,
                establishment TEXT NOT NULL, role TEXT NOT NULL) STRICT;
            CREATE TABLE roster_commissions (
                id TEXT PRIMARY KEY, establishment TEXT NOT NULL, template TEXT NOT NULL, session TEXT NOT NULL,
                members TEXT NOT NULL) STRICT;
            CREATE TABLE roster_candidates (
                number TEXT PRIMARY KEY, last_name TEXT NOT NULL, first_name TEXT NOT NULL,
                establishment TEXT NOT NULL, internship_weeks INTEGER NOT NULL) STRICT;
            CREATE TABLE roster_registrations (
                candidate TEXT NOT NULL, commission TEXT NOT NULL, PRIMARY KEY (candidate, commission)) STRICT;
            """),
        // `scope` is filled by `LocalStore.backfillScopes()` (Swift's `Partition.scope(of:)`), NULL meaning
        // « not computed yet » and '' « no known scope ». Sync state lives in `settings` (keys in
        // `LocalStore.SyncKey`); `notices` keeps the messages a sync left for the user.
        Migration(version: 2, name: "sync: event scopes, quarantine flag, notices", sql: """
            ALTER TABLE events ADD COLUMN scope TEXT;
            ALTER TABLE events ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
            CREATE INDEX events_by_scope ON events (scope);
            CREATE INDEX events_unsent ON events (wall, counter) WHERE origin = 'local' AND sync_state IN ('pending', 'rejected');
            CREATE TABLE notices (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL) STRICT;
            """),
        Migration(version: 3, name: "dangling prev references (events that arrive after their successor)", sql: """
            \(Materializer.danglingSchema)
            \(Materializer.danglingBackfill(order: "seqno"))
            """),
    ]
}

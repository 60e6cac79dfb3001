/*
 * The floor for bench/push-throughput.sh: durable inserts of the rows the server stores for a push,
 * and nothing else (no HTTP, no JSON parsing, no validation, no receipts, no state materialisation).
 *
 * Usage: insert DATABASE ROWS.tsv [BATCH]
 *
 * ROWS.tsv holds one row per line, 11 tab-separated columns, none containing a tab or a newline:
 *   id entity field body scope author device wall counter receipt received_from
 * The file is read into memory and the database created before the clock starts. The timed part is
 * the loop of transactions: BEGIN IMMEDIATE, BATCH inserts through one prepared statement, COMMIT.
 * Prints one line: "rows=N batches=B seconds=S cpu_seconds=C".
 *
 * Schema and pragmas copied from Sources/Server/ServerStore+Schema.swift (events table, indexes) and
 * Sources/Shared/Store/Materializer.swift (state table), Sources/Shared/Store/Database.swift (pragmas;
 * the server sets synchronous=FULL). Related SQLite documentation: https://www.sqlite.org/wal.html
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { COLUMNS = 11 };

static const char *schema =
    "CREATE TABLE events (\n"
    "    seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    id TEXT NOT NULL UNIQUE,\n"
    "    entity TEXT NOT NULL,\n"
    "    field TEXT NOT NULL,\n"
    "    body TEXT NOT NULL,\n"
    "    scope TEXT NOT NULL,\n"
    "    author TEXT NOT NULL,\n"
    "    device TEXT NOT NULL,\n"
    "    wall INTEGER NOT NULL,\n"
    "    counter INTEGER NOT NULL,\n"
    "    applied INTEGER NOT NULL DEFAULT 1,\n"
    "    receipt TEXT NOT NULL,\n"
    "    received_at INTEGER NOT NULL,\n"
    "    received_from TEXT NOT NULL\n"
    ") STRICT;\n"
    "CREATE INDEX events_by_key ON events (entity, field) WHERE applied = 1;\n"
    "CREATE INDEX events_by_scope ON events (scope, seq);\n"
    "CREATE TABLE state (\n"
    "    entity TEXT NOT NULL,\n"
    "    field TEXT NOT NULL,\n"
    "    value TEXT NOT NULL,\n"
    "    event_id TEXT NOT NULL,\n"
    "    author TEXT NOT NULL,\n"
    "    device TEXT NOT NULL,\n"
    "    wall INTEGER NOT NULL,\n"
    "    counter INTEGER NOT NULL,\n"
    "    heads TEXT NOT NULL,\n"
    "    conflict INTEGER NOT NULL,\n"
    "    PRIMARY KEY (entity, field)\n"
    ") STRICT, WITHOUT ROWID;\n";

static const char *insert_sql =
    "INSERT INTO events (id, entity, field, body, scope, author, device, wall, counter, receipt, received_at, received_from)\n"
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

struct row {
    const char *text[COLUMNS];
    int length[COLUMNS];
    sqlite3_int64 wall, counter;
};

static void die(const char *what, sqlite3 *db) {
    fprintf(stderr, "insert: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
    exit(1);
}

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static sqlite3_int64 now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (sqlite3_int64)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads the whole file and splits it in place into rows; returns the row count. */
static size_t read_rows(const char *path, struct row **out) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) { fprintf(stderr, "insert: cannot read %s\n", path); exit(1); }
    fclose(f);
    data[size] = '\0';

    size_t lines = 0;
    for (long i = 0; i < size; i++) if (data[i] == '\n') lines++;
    struct row *rows = calloc(lines ? lines : 1, sizeof *rows);
    size_t n = 0;
    char *p = data;
    while (*p) {
        char *end = strchr(p, '\n');
        if (!end) { fprintf(stderr, "insert: row %zu has no final newline\n", n + 1); exit(1); }
        *end = '\0';
        struct row *r = &rows[n];
        char *cell = p;
        for (int c = 0; c < COLUMNS; c++) {
            char *tab = strchr(cell, '\t');
            if ((c < COLUMNS - 1) != (tab != NULL)) { fprintf(stderr, "insert: row %zu does not have %d columns\n", n + 1, COLUMNS); exit(1); }
            if (tab) *tab = '\0';
            r->text[c] = cell;
            r->length[c] = (int)strlen(cell);
            cell = tab ? tab + 1 : end;
        }
        r->wall = strtoll(r->text[7], NULL, 10);
        r->counter = strtoll(r->text[8], NULL, 10);
        n++;
        p = end + 1;
    }
    *out = rows;
    return n;
}

static void exec(sqlite3 *db, const char *sql) {
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK) {
        fprintf(stderr, "insert: %s: %s\n", sql, message ? message : "?");
        exit(1);
    }
}

static void step_done(sqlite3 *db, sqlite3_stmt *stmt, const char *what) {
    if (sqlite3_step(stmt) != SQLITE_DONE) die(what, db);
    sqlite3_reset(stmt);
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: insert DATABASE ROWS.tsv [BATCH]\n");
        return 2;
    }
    size_t batch = argc == 4 ? (size_t)strtoul(argv[3], NULL, 10) : 1000;
    if (batch == 0) { fprintf(stderr, "insert: BATCH must be positive\n"); return 2; }

    struct row *rows;
    size_t count = read_rows(argv[2], &rows);

    sqlite3 *db;
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) die("open", db);
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    exec(db, "PRAGMA foreign_keys = ON");
    sqlite3_stmt *wal;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &wal, NULL) != SQLITE_OK) die("journal_mode", db);
    if (sqlite3_step(wal) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(wal, 0), "wal") != 0) die("journal_mode is not wal", db);
    sqlite3_finalize(wal);
    exec(db, "PRAGMA synchronous = FULL");
    exec(db, schema);

    sqlite3_stmt *begin, *commit, *insert;
    if (sqlite3_prepare_v3(db, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &begin, NULL) != SQLITE_OK) die("prepare BEGIN", db);
    if (sqlite3_prepare_v3(db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &commit, NULL) != SQLITE_OK) die("prepare COMMIT", db);
    if (sqlite3_prepare_v3(db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT, &insert, NULL) != SQLITE_OK) die("prepare INSERT", db);

    /* Columns of the TSV bound to parameters 1-7, then wall, counter, receipt, received_at, received_from. */
    double wall_start = seconds(CLOCK_MONOTONIC), cpu_start = seconds(CLOCK_PROCESS_CPUTIME_ID);
    size_t batches = 0;
    for (size_t first = 0; first < count; first += batch) {
        size_t last = first + batch < count ? first + batch : count;
        step_done(db, begin, "BEGIN IMMEDIATE");
        for (size_t i = first; i < last; i++) {
            const struct row *r = &rows[i];
            for (int c = 0; c < 7; c++) sqlite3_bind_text(insert, c + 1, r->text[c], r->length[c], SQLITE_STATIC);
            sqlite3_bind_int64(insert, 8, r->wall);
            sqlite3_bind_int64(insert, 9, r->counter);
            sqlite3_bind_text(insert, 10, r->text[9], r->length[9], SQLITE_STATIC);
            sqlite3_bind_int64(insert, 11, now_ms());
            sqlite3_bind_text(insert, 12, r->text[10], r->length[10], SQLITE_STATIC);
            step_done(db, insert, "INSERT");
        }
        step_done(db, commit, "COMMIT");
        batches++;
    }
    double elapsed = seconds(CLOCK_MONOTONIC) - wall_start, cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;

    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_finalize(insert);
    if (sqlite3_close(db) != SQLITE_OK) die("close", db);
    printf("rows=%zu batches=%zu seconds=%.6f cpu_seconds=%.6f\n", count, batches, elapsed, cpu);
    return 0;
}

#!/usr/bin/env python3
"""The references of bench/b2-merge.sh, measured on the input file grille-bench generates.

  b2_reference.py loro EVENTS.jsonl WINNERS.tsv
      One LoroDoc per device (peer id = device number + 1) sets `entity#field` in a root map for each of
      the device's events, in the device's clock order; each doc exports its updates. Timed: importing
      all of them (import_batch) into one new doc. Then compares the map with our winners.

  b2_reference.py postgres EVENTS.jsonl WINNERS.tsv --socket DIR --port P [--batch B]
      For each event, one statement inserts its row into `events` and upserts `state` (ON CONFLICT
      (entity, field) DO UPDATE … WHERE the new clock is greater), in transactions of B events, sent with
      psycopg's executemany (pipelined). Then compares the winners.

Both print one line of key=value pairs on stdout. WINNERS.tsv (from `grille-bench merge-memory --winners`)
holds `entity<TAB>field<TAB>winner id<TAB>canonical JSON value` per field.
"""

import argparse
import json
import sys
import time


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def winners(path):
    result = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            entity, field, winner, value = line.rstrip("\n").split("\t")
            result[(entity, field)] = (winner, json.loads(value))
    return result


def run_loro(args):
    import loro

    events = load(args.events)
    by_device = {}
    for e in events:
        by_device.setdefault(e["device"], []).append(e)
    updates = []
    for device in sorted(by_device):
        doc = loro.LoroDoc()
        doc.peer_id = int(device.rsplit("-", 1)[1]) + 1  # dev-007 -> 8: peer order is device order
        state = doc.get_map("state")
        for e in sorted(by_device[device], key=lambda e: (e["hlc"]["wall"], e["hlc"]["counter"])):
            state.insert(e["entity"] + "#" + e["field"], e["value"])
        doc.commit()
        updates.append(doc.export(loro.ExportMode.Updates(loro.VersionVector())))
    del events

    merged = loro.LoroDoc()
    start, cpu = time.perf_counter(), time.process_time()
    status = merged.import_batch(updates)
    value = merged.get_map("state").get_value()  # materialise the map (part of what an importer needs)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    if status.pending:
        sys.exit("b2_reference: loro left updates pending")

    ours = winners(args.winners)
    differ = sum(1 for (entity, field), (_, v) in ours.items() if value.get(entity + "#" + field, object()) != v)
    print(f"ops={merged.len_ops} keys={len(value)} seconds={seconds:.6f} cpu_seconds={cpu_seconds:.6f} "
          f"updates={len(updates)} update_bytes={sum(len(u) for u in updates)} value_mismatches={differ} loro={loro.LORO_VERSION}")


SCHEMA = """
CREATE TABLE events (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    entity text NOT NULL,
    field text NOT NULL,
    body text NOT NULL,
    author text NOT NULL,
    device text NOT NULL,
    wall bigint NOT NULL,
    counter bigint NOT NULL,
    received_at bigint NOT NULL
);
CREATE INDEX events_by_key ON events (entity, field);
CREATE TABLE state (
    entity text NOT NULL,
    field text NOT NULL,
    value text NOT NULL,
    event_id text NOT NULL,
    author text NOT NULL,
    device text NOT NULL,
    wall bigint NOT NULL,
    counter bigint NOT NULL,
    PRIMARY KEY (entity, field)
);
"""

UPSERT = """
WITH e AS (
    INSERT INTO events (id, entity, field, body, author, device, wall, counter, received_at)
    VALUES (%(id)s, %(entity)s, %(field)s, %(body)s, %(author)s, %(device)s, %(wall)s, %(counter)s, %(now)s)
    RETURNING id, entity, field, author, device, wall, counter
)
INSERT INTO state (entity, field, value, event_id, author, device, wall, counter)
SELECT entity, field, %(value)s, id, author, device, wall, counter FROM e
ON CONFLICT (entity, field) DO UPDATE SET value = excluded.value, event_id = excluded.event_id,
    author = excluded.author, device = excluded.device, wall = excluded.wall, counter = excluded.counter
WHERE (excluded.wall, excluded.counter, excluded.device, excluded.event_id)
    > (state.wall, state.counter, state.device, state.event_id)
"""


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def run_postgres(args):
    import psycopg

    with open(args.events, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    rows = []
    for line in lines:
        e = json.loads(line)
        rows.append({"id": e["id"], "entity": e["entity"], "field": e["field"], "body": line, "author": e["author"],
                     "device": e["device"], "wall": e["hlc"]["wall"], "counter": e["hlc"]["counter"],
                     "value": canonical(e["value"])})
    del lines
    conn = psycopg.connect(host=args.socket, port=args.port, user="postgres", dbname="postgres", autocommit=False)
    with conn.cursor() as cur:
        cur.execute(SCHEMA)
    conn.commit()

    start, cpu = time.perf_counter(), time.process_time()
    with conn.cursor() as cur:
        for first in range(0, len(rows), args.batch):
            now = int(time.time() * 1000)
            chunk = rows[first:first + args.batch]
            for r in chunk:
                r["now"] = now
            cur.executemany(UPSERT, chunk)
            conn.commit()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu

    with conn.cursor() as cur:
        cur.execute("SELECT entity, field, event_id FROM state")
        state = {(entity, field): winner for entity, field, winner in cur}
        cur.execute("SELECT count(*) FROM events")
        stored = cur.fetchone()[0]
        cur.execute("SHOW fsync")
        fsync = cur.fetchone()[0]
        cur.execute("SHOW synchronous_commit")
        sync = cur.fetchone()[0]
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0].replace(" ", "_")
    conn.close()
    ours = winners(args.winners)
    differ = sum(1 for key, (winner, _) in ours.items() if state.get(key) != winner) + abs(len(state) - len(ours))
    print(f"events={stored} keys={len(state)} batch={args.batch} seconds={seconds:.6f} client_cpu_seconds={cpu_seconds:.6f} "
          f"winner_mismatches={differ} fsync={fsync} synchronous_commit={sync} version={version}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("loro")
    p.add_argument("events")
    p.add_argument("winners")
    p = sub.add_parser("postgres")
    p.add_argument("events")
    p.add_argument("winners")
    p.add_argument("--socket", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    {"loro": run_loro, "postgres": run_postgres}[args.command](args)


if __name__ == "__main__":
    main()

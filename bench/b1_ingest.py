#!/usr/bin/env python3
"""B1 ingest: events/s to durable acknowledgement, pushed over HTTP on loopback, beside the C floor.

  b1_ingest.py --bin DIR --work DIR --out FILE --repo DIR --floor EXE [--events N] [--single N]

Ours: a release `grille-server serve` on a new database with a generated academy (40 commissions of 50
candidates). 40 enrolled devices (one per commission's teacher) push N events (default 1,000,000),
round-robin, two requests in flight, in batches of 1,000, then again on a second new server in batches of 10,000, then a third
server gets `--single` events (default 20,000) one per request. Each event is a valid comment write with
the `prev` chain the agent writes (about 38 events per field). Every answer is checked: every event in
`accepted`, with the receipt the server's key gives.

The floor (bench/floor/insert.c) inserts the same rows into the same `events` schema with the same
pragmas and the same transaction sizes, read from a file prepared before its clock starts. After the
1,000 run the server's `events` table and the floor's are compared row by row.
"""

import argparse
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import grillebench as gb  # noqa: E402

COMMISSIONS = 40
PER_COMMISSION = 50


def generate(commissions, count, fields, devices):
    """count events spread over the commissions' teachers; returns per-device lists of (id, body)."""
    per_device = {c["id"]: [] for c in commissions}
    writers = {c["id"]: gb.Writer(devices[c["id"]], c["members"][0]) for c in commissions}
    slots = {c["id"]: [(cand, f) for f in fields for cand in c["candidates"]] for c in commissions}
    n = 0
    while n < count:
        for commission in commissions:
            if n >= count:
                break
            cid = commission["id"]
            mine = per_device[cid]
            candidate, field = slots[cid][len(mine) % len(slots[cid])]
            event = writers[cid].event(candidate, field, gb.comment(n + 1))
            mine.append(event)
            n += 1
    return per_device


def encode(per_device):
    return {cid: [(e["id"], gb.canonical(e), e) for e in events] for cid, events in per_device.items()}


def batches(encoded, size):
    """Round-robin over the devices: [(commission id, [(id, body, event)])]."""
    chunks = {cid: [items[i:i + size] for i in range(0, len(items), size)] for cid, items in encoded.items()}
    order = []
    rounds = max(len(c) for c in chunks.values())
    for r in range(rounds):
        for cid in encoded:
            if r < len(chunks[cid]):
                order.append((cid, chunks[cid][r]))
    return order


def serve(args, name, roster, commissions):
    work = os.path.join(args.work, name)
    os.makedirs(work, exist_ok=True)
    server = gb.Server(args.bin, work)
    server.init(roster.directory)
    server.start()
    clients, devices = {}, {}
    for commission in commissions:
        device = "dev-" + commission["id"]
        _, client = gb.enroll_device(server, commission["members"][0], device)
        clients[commission["id"]] = client
        devices[commission["id"]] = device
    return server, clients


def run_ours(server, clients, order, key, concurrency=2):
    """Pushes every batch, `concurrency` requests in flight (different devices: a device's batches go one
    after the other, in order), as laptops of an academy do: the server parses one push while it stores
    another."""
    bodies = [(cid, chunk, gb.push_body([b for _, b, _ in chunk])) for cid, chunk in order]
    cpu0 = gb.cpu_seconds(server.pid)
    start = time.perf_counter()
    answers, latencies = gb.push_concurrently(clients, [(cid, body) for cid, _, body in bodies], concurrency)
    elapsed = time.perf_counter() - start
    cpu = gb.cpu_seconds(server.pid) - cpu0
    rss = gb.peak_rss_mib(server.pid)
    for (cid, chunk, _), answer in zip(bodies, answers):
        got = [(a["id"], a["receipt"]) for a in answer["accepted"]]
        expected = [(i, gb.receipt(key, i, b)) for i, b, _ in chunk]
        if got != expected or answer["rejected"] or answer["duplicates"]:
            gb.fail(f"a push from {cid} was not accepted whole: {len(answer['rejected'])} rejected, "
                    f"first {(answer['rejected'] or [None])[0]}")
    events = sum(len(chunk) for _, chunk, _ in bodies)
    return {"events": events, "requests": len(bodies), "seconds": elapsed, "cpu": cpu, "rss": rss,
            "p50": gb.percentile(latencies, 50), "p99": gb.percentile(latencies, 99)}


def write_rows(path, order, key):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for _, chunk in order:
            for event_id, body, e in chunk:
                row = [event_id, e["entity"], e["field"], body, gb.scope_of(e), e["author"], e["device"],
                       str(e["hlc"]["wall"]), str(e["hlc"]["counter"]), gb.receipt(key, event_id, body), e["device"]]
                f.write("\t".join(row) + "\n")


def compare(server_db, floor_db):
    columns = "id, entity, field, body, scope, author, device, wall, counter, applied, receipt, received_from"
    db = sqlite3.connect(f"file:{floor_db}?mode=ro", uri=True)
    db.execute("ATTACH DATABASE ? AS server", (f"file:{server_db}?mode=ro",))
    floor = db.execute("SELECT count(*) FROM main.events").fetchone()[0]
    missing = db.execute(f"SELECT count(*) FROM (SELECT {columns} FROM main.events EXCEPT "
                         f"SELECT {columns} FROM server.events WHERE device <> 'server')").fetchone()[0]
    if floor == 0 or missing:
        gb.fail(f"the floor holds {floor} rows, {missing} of them not identical in the server's events table")
    return floor


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("bin", "work", "out", "repo", "floor"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=20_000)
    args = parser.parse_args()

    fields = gb.text_fields(args.repo)
    roster = gb.Roster(os.path.join(args.work, "roster"), COMMISSIONS, PER_COMMISSION)
    devices = {c["id"]: "dev-" + c["id"] for c in roster.commissions}
    gb.log(f"generating {args.events:,} events for {COMMISSIONS} devices")
    encoded = encode(generate(roster.commissions, args.events, fields, devices))

    results = {}
    for batch in (1000, 10000):
        gb.log(f"ours: {args.events:,} events in batches of {batch:,}")
        server, clients = serve(args, f"ours-{batch}", roster, roster.commissions)
        try:
            order = batches(encoded, batch)
            results[("ours", batch)] = run_ours(server, clients, order, server.key)
        finally:
            server.stop()
        rows = os.path.join(args.work, "rows.tsv")
        write_rows(rows, order, server.key)
        gb.log(f"floor: the same rows in transactions of {batch:,}")
        results[("floor", batch)] = gb.run_floor(args.floor, os.path.join(args.work, f"floor-{batch}.sqlite"), rows, batch)
        if batch == 1000:
            same = compare(server.db, results[("floor", batch)]["db"])
            gb.log(f"same rows: the {same:,} floor rows are in the server's events table")
        os.remove(rows)
        gb.rmtree(os.path.join(args.work, f"ours-{batch}"))

    one = roster.commissions[:1]
    single = encode(generate(one, args.single, fields, devices))
    gb.log(f"ours: {args.single:,} events, one per request")
    server, clients = serve(args, "ours-1", roster, one)
    try:
        order = batches(single, 1)
        results[("ours", 1)] = run_ours(server, clients, order, server.key)
    finally:
        server.stop()
    rows = os.path.join(args.work, "rows.tsv")
    write_rows(rows, order, server.key)
    results[("floor", 1)] = gb.run_floor(args.floor, os.path.join(args.work, "floor-1.sqlite"), rows, 1)

    table = []
    for batch in (1000, 10000, 1):
        ours, floor = results[("ours", batch)], results[("floor", batch)]
        rate, floor_rate = ours["events"] / ours["seconds"], floor["events"] / floor["seconds"]
        table.append([f"{ours['events']:,} events, batches of {batch:,}", f"{rate:,.0f}", f"{floor_rate:,.0f}",
                      f"{rate / floor_rate:.2f}", f"{ours['p50'] * 1000:.1f} / {ours['p99'] * 1000:.1f}",
                      f"{ours['cpu']:.1f}", f"{ours['rss']:.0f}"])
    ratio = results[("ours", 1000)]["events"] / results[("ours", 1000)]["seconds"] / (
        results[("floor", 1000)]["events"] / results[("floor", 1000)]["seconds"])
    met = "met" if ratio >= 0.5 else "missed"
    text = "\n".join([
        "## B1 ingest",
        "",
        f"A generated academy of {COMMISSIONS} commissions × {PER_COMMISSION} candidates; {COMMISSIONS} devices (one "
        "per commission) push valid comment writes with the agent's `prev` chains, round-robin, each on its own "
        "keep-alive connection to a release `grille-server serve` on loopback, two pushes in flight (never two of "
        "one device; a device's batches arrive in order); every answer is checked (all "
        "accepted, receipts verified). The floor is `bench/floor/insert.c`: the same rows, same schema and "
        "pragmas (WAL, `synchronous=FULL`), one transaction per batch, through libsqlite3, with no HTTP, "
        "parsing, validation, receipts or materialisation. After the 1,000 run both `events` tables were "
        "compared row by row: identical.",
        "",
        gb.markdown_table(["workload", "ours events/s", "floor events/s", "ratio", "request p50 / p99 ms",
                           "server CPU s", "server peak RSS MiB"], table),
        "",
        f"Target: ≥ 0.5× the floor in batches of 1,000 — {met} ({ratio:.2f}).",
        "",
    ])
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"ratio B1 ours/floor, batches of 1,000: {ratio:.2f} (target ≥ 0.5)")


if __name__ == "__main__":
    main()

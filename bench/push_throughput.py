#!/usr/bin/env python3
"""Client side of bench/push-throughput.sh (standard library only).

  push_throughput.py run --port P --code C --key-file K --events N --batch B --work DIR
      Enrolls a device with the one-time code, generates N valid events for ev-0101, writes the
      push bodies and the rows the server will store (DIR/rows.tsv, read by bench/floor/insert.c),
      then, on one keep-alive connection, times only the push exchanges. Checks every answer after
      the clock stops and writes DIR/ours.json.

  push_throughput.py compare SERVER_DB FLOOR_DB
      Checks that both databases hold the same event rows (all columns but seq and received_at).

  push_throughput.py report --work DIR --floor-line LINE --out FILE ...
      Prints the results and writes them as a Markdown section.

Events follow docs/PROTOCOL.md ("Event wire format"); bodies are canonical JSON, which
json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) produces for these values.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import secrets
import sqlite3
import sys
import time
import uuid

AUTHOR = "ev-0101"
TEMPLATE = "ndrc-e4-ccf"
SESSION = "2026"
SITUATION = "final"
# Registered in commission cm-e4-01 of demo/roster, where ev-0101 sits.
CANDIDATES = [f"026140{n:02d}" for n in range(1, 13)]


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fail(message):
    print(f"push_throughput: {message}", file=sys.stderr)
    sys.exit(1)


def text_fields(repo):
    """The comment fields of the template's final situation (from the bundled template), plus appreciations."""
    path = os.path.join(repo, "Sources/Shared/Resources/templates", f"{TEMPLATE}.json")
    with open(path, encoding="utf-8") as f:
        template = json.load(f)
    situation = next(s for s in template["situations"] if s["id"] == SITUATION)
    blocks = list(situation["blocks"]) + [b for group in situation["alternatives"] for b in group]
    criteria = [c["id"] for block in template["blocks"] if block["id"] in blocks for c in block["criteria"]]
    fields = [f"comment/{c}" for c in criteria]
    fields += [f for f in ("appreciation/A", "appreciation/B") if f in situation["fields"]]
    return fields


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request(conn, method, target, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, target, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def generate(count, device, key, fields):
    """Events in push order, with their canonical bodies and server rows."""
    wall = int(time.time() * 1000)  # now: never ahead of the server clock
    events = []
    for i in range(count):
        candidate = CANDIDATES[i % len(CANDIDATES)]
        field = fields[(i // len(CANDIDATES)) % len(fields)]
        event = {
            "id": str(uuid.uuid4()),
            "entity": f"grid/{TEMPLATE}/{SESSION}/{candidate}/{SITUATION}",
            "field": field,
            "value": f"Saisie n° {i + 1} : ciblage « précis » du portefeuille, relances à prévoir sous 8 jours.",
            "hlc": {"wall": wall, "counter": i, "device": device},
            "author": AUTHOR,
            "device": device,
            "prev": [],
        }
        body = canonical(event)
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        receipt = hmac.new(key, f"grille-receipt-v1\n{event['id']}\n{digest}\n".encode("utf-8"), hashlib.sha256).hexdigest()
        row = [event["id"], event["entity"], field, body, f"grid/{TEMPLATE}/{SESSION}/{candidate}",
               AUTHOR, device, str(wall), str(i), receipt, device]
        if any("\t" in cell or "\n" in cell for cell in row):
            fail("a row holds a tab or a newline")
        events.append((event["id"], body, receipt, row))
    return events


def run(args):
    with open(args.key_file, encoding="ascii") as f:
        key = bytes.fromhex(f.read().strip())
    device = "dev-" + secrets.token_hex(8)
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)

    status, data = request(conn, "POST", "/v1/enroll", canonical(
        {"code": args.code, "device": device, "evaluator": AUTHOR, "protocol": 1}).encode("utf-8"))
    if status != 200:
        fail(f"enroll answered {status}: {data[:500]!r}")
    token = json.loads(data)["token"]

    events = generate(args.events, device, key, text_fields(args.repo))
    with open(os.path.join(args.work, "rows.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for _, _, _, row in events:
            f.write("\t".join(row) + "\n")
    bodies = []
    for first in range(0, len(events), args.batch):
        chunk = events[first:first + args.batch]
        body = ('{"events":[' + ",".join(b for _, b, _, _ in chunk) + "]}").encode("utf-8")
        bodies.append(([(i, r) for i, _, r, _ in chunk], body))

    answers = []
    durations = []
    server_cpu_start = cpu_seconds(args.server_pid)
    cpu_start = time.process_time()
    start = time.perf_counter()
    for _, body in bodies:
        t0 = time.perf_counter()
        answers.append(request(conn, "POST", "/v1/sync/push", body, token))
        durations.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    client_cpu = time.process_time() - cpu_start
    server_cpu = cpu_seconds(args.server_pid) - server_cpu_start
    conn.close()

    for n, ((expected, _), (status, data)) in enumerate(zip(bodies, answers)):
        if status != 200:
            fail(f"push {n + 1} answered {status}: {data[:500]!r}")
        answer = json.loads(data)
        if answer["rejected"] or answer["duplicates"]:
            fail(f"push {n + 1}: {len(answer['rejected'])} rejected, {len(answer['duplicates'])} duplicates; "
                 f"first: {(answer['rejected'] or answer['duplicates'])[0]}")
        got = [(a["id"], a["receipt"]) for a in answer["accepted"]]
        if got != expected:
            fail(f"push {n + 1}: accepted ids or receipts differ from the events sent")

    result = {"events": args.events, "batch": args.batch, "batches": len(bodies), "seconds": elapsed,
              "client_cpu_seconds": client_cpu, "server_cpu_seconds": server_cpu, "batch_seconds": durations, "device": device,
              "request_bytes": sum(len(b) for _, b in bodies)}
    with open(os.path.join(args.work, "ours.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)


def compare(args):
    columns = "id, entity, field, body, scope, author, device, wall, counter, applied, receipt, received_from"
    db = sqlite3.connect(f"file:{args.floor_db}?mode=ro", uri=True)
    db.execute("ATTACH DATABASE ? AS server", (f"file:{args.server_db}?mode=ro",))
    floor = db.execute("SELECT count(*) FROM main.events").fetchone()[0]
    missing = db.execute(f"SELECT count(*) FROM (SELECT {columns} FROM main.events EXCEPT "
                         f"SELECT {columns} FROM server.events)").fetchone()[0]
    if floor == 0 or missing:
        fail(f"the floor holds {floor} rows, {missing} of them not identical in the server's events table")
    print(f"same rows: the {floor} floor rows are in the server's events table, identical but for seq and received_at")


def report(args):
    with open(os.path.join(args.work, "ours.json"), encoding="utf-8") as f:
        ours = json.load(f)
    floor = dict(part.split("=", 1) for part in args.floor_line.split())
    if int(floor["rows"]) != ours["events"]:
        fail(f"the floor inserted {floor['rows']} rows, ours pushed {ours['events']}")
    ours_rate = ours["events"] / ours["seconds"]
    floor_seconds = float(floor["seconds"])
    floor_rate = int(floor["rows"]) / floor_seconds
    batches = ours["batch_seconds"]
    first, last = batches[0] * 1000, batches[-1] * 1000

    fields = len(text_fields(args.repo))
    per_field = ours["events"] / (len(CANDIDATES) * fields)
    lines = [
        "## Push throughput",
        "",
        f"`bench/push-throughput.sh {ours['events']}`, {args.date}, commit {args.commit}.",
        "",
        f"- Machine: {args.nproc} CPUs ({args.cpu}), {args.kernel}, {args.fs} file system for both databases. "
        "Client and server share these CPUs; "
        f"load average {args.load_before} before the run, {args.load_after} after it.",
        f"- Ours: a release `grille-server serve` on loopback receives {ours['events']:,} events from `{AUTHOR}` "
        f"in {ours['batches']} `POST /v1/sync/push` requests of {ours['batch']:,} events each "
        f"({ours['request_bytes'] / ours['batches'] / 1024:.0f} KiB per request). The events cover {len(CANDIDATES)} "
        f"grids with {fields} text fields each, so each field gets about {per_field:.0f} events, all with `prev: []`. "
        "The client is Python `http.client` on one keep-alive connection. The timing runs from the first "
        "request to the last answer, and every answer is checked: all events are in `accepted` "
        "with the expected receipt.",
        "- Floor: `bench/floor/insert.c` inserts the same rows into a table with the server's `events` schema, "
        f"using the same pragmas (WAL, `synchronous=FULL`), one `BEGIN IMMEDIATE` transaction per {ours['batch']:,} "
        "rows and one prepared statement. It does no HTTP, JSON parsing, validation, receipts or "
        "state materialisation. After the run, the script checks that both tables hold the same rows.",
        "",
        "| | events/s to durable ack | total seconds | CPU seconds |",
        "| --- | ---: | ---: | ---: |",
        f"| ours (HTTP push to grille-server) | {ours_rate:,.0f} | {ours['seconds']:.3f} | "
        f"server {ours['server_cpu_seconds']:.2f}, client {ours['client_cpu_seconds']:.2f} |",
        f"| floor (SQLite inserts in C) | {floor_rate:,.0f} | {floor_seconds:.3f} | {float(floor['cpu_seconds']):.2f} |",
        "",
        f"Per batch, ours took {first:.0f} ms for the first, {last:.0f} ms for the last and "
        f"{sorted(batches)[len(batches) // 2] * 1000:.0f} ms at the median.",
        "",
        f"ratio ours/floor: {ours_rate / floor_rate:.2f}",
        "",
    ]
    text = "\n".join(lines)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text, end="")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--code", required=True)
    p.add_argument("--key-file", required=True)
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--work", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p = sub.add_parser("compare")
    p.add_argument("server_db")
    p.add_argument("floor_db")
    p = sub.add_parser("report")
    for name in ("work", "floor-line", "out", "repo", "nproc", "cpu", "date", "commit", "kernel", "fs",
                 "load-before", "load-after"):
        p.add_argument(f"--{name}", required=True)
    args = parser.parse_args()
    {"run": run, "compare": compare, "report": report}[args.command](args)


if __name__ == "__main__":
    main()

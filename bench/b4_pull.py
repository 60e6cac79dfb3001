#!/usr/bin/env python3
"""B4 initial pull and the agent's part of B7 (peak RSS), beside the C floor.

  b4_pull.py --bin DIR --work DIR --out FILE --repo DIR --floor EXE [--academy 100000] [--national 3000000]

A release server holds a generated academy (100 commissions of 14 candidates); the commissions'
teachers push `--academy` events (comment writes with `prev` chains, batches of 10,000). A fresh real
`grille-agent` enrolled for the academy coordinator (who sees every commission) then runs
`grille-agent sync`: the time from its start to its exit, with every event stored in its log and
materialised into its state, and its peak RSS. The floor: bench/floor/insert.c inserting the same rows
(taken from the server's table) into the same `events` schema, in transactions of 1,000 (the agent's
page size). Then the server gets events up to `--national` in all and a second fresh agent pulls them
all, for its time and peak RSS.
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import grillebench as gb  # noqa: E402


def push_events(server, roster, count, fields, writers, clients, start_index):
    """count more events, round-robin over the teachers, pushed in batches of 10,000 per teacher, two pushes in
    flight (never two of one teacher); generated a million at a time so that this process never holds the
    whole national set."""
    n = start_index
    end = start_index + count
    slots = {c["id"]: [(cand, f) for f in fields for cand in c["candidates"]] for c in roster.commissions}
    while n < end:
        per = {}
        for _ in range(min(end - n, 1_000_000)):
            c = roster.commissions[(n - start_index) % len(roster.commissions)]
            mine = per.setdefault(c["id"], [])
            candidate, field = slots[c["id"]][(n // len(roster.commissions)) % len(slots[c["id"]])]
            mine.append(gb.canonical(writers[c["id"]].event(candidate, field, gb.comment(n + 1))))
            n += 1
        requests, sizes = [], []
        for cid, bodies in per.items():
            for first in range(0, len(bodies), 10_000):
                chunk = bodies[first:first + 10_000]
                requests.append((cid, gb.push_body(chunk)))
                sizes.append(len(chunk))
        del per
        answers, _ = gb.push_concurrently(clients, requests)
        for (cid, _), size, answer in zip(requests, sizes, answers):
            if len(answer["accepted"]) != size:
                gb.fail(f"push from {cid}: {answer['rejected'][:1]}")
    return n


def agent_pull_measured(args, server, name):
    """agent_pull, with the agent's own peak RSS (wait4 on that one child)."""
    data = os.path.join(args.work, name)
    agent = os.path.join(args.bin, "grille-agent")
    code = server.enrollment_code(gb.ACADEMY)
    enrolled = subprocess.run([agent, "enroll", "--data", data, "--server", f"http://127.0.0.1:{server.port}", "--code", code],
                              capture_output=True, text=True)
    if enrolled.returncode != 0:
        gb.fail(f"grille-agent enroll: {enrolled.stderr.strip()[:500]}")
    out_path, err_path = os.path.join(args.work, f"{name}.out"), os.path.join(args.work, f"{name}.err")
    rss_path = os.path.join(args.work, f"{name}.maxrss")
    # The peak RSS comes from GNU time, which forks the agent from its own small process: a child spawned
    # from this Python process would carry this process's peak into its ru_maxrss across exec (Linux
    # keeps the larger of the old and new images' high-water marks), which is how an earlier version
    # of this script reported 128 MiB for an agent that never went above 47.
    with open(out_path, "w") as out, open(err_path, "w") as err:
        start = time.perf_counter()
        pid = os.posix_spawn("/usr/bin/time", ["/usr/bin/time", "-f", "%M", "-o", rss_path, agent, "sync", "--json", "--data", data],
                             os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, out.fileno(), 1), (os.POSIX_SPAWN_DUP2, err.fileno(), 2)])
        _, status, _ = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        gb.fail(f"grille-agent sync: {open(err_path).read()[:500]}")
    summary = json.load(open(out_path))
    with open(rss_path) as f:
        rss_kib = int(f.read().split()[-1])
    return data, elapsed, summary, rss_kib / 1024


def agent_counts(data):
    db = next(os.path.join(data, f) for f in os.listdir(data) if f.endswith(".sqlite"))
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    events = conn.execute("SELECT count(*) FROM events WHERE entity LIKE 'grid/%'").fetchone()[0]
    grid_state = conn.execute("SELECT count(*) FROM state WHERE entity LIKE 'grid/%'").fetchone()[0]
    return events, grid_state


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("bin", "work", "out", "repo", "floor"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--academy", type=int, default=100_000)
    parser.add_argument("--national", type=int, default=3_000_000)
    args = parser.parse_args()

    fields = gb.text_fields(args.repo)
    roster = gb.Roster(os.path.join(args.work, "roster"), 100, 14)
    server = gb.Server(args.bin, args.work)
    server.init(roster.directory)
    server.start()
    try:
        clients, writers = {}, {}
        for c in roster.commissions:
            device, client = gb.enroll_device(server, c["members"][0])
            clients[c["id"]], writers[c["id"]] = client, gb.Writer(device, c["members"][0])
        gb.log(f"B4: pushing {args.academy:,} events")
        n = push_events(server, roster, args.academy, fields, writers, clients, 0)
        conn = sqlite3.connect(f"file:{server.db}?mode=ro", uri=True)
        visible = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        grids = conn.execute("SELECT count(*) FROM events WHERE entity LIKE 'grid/%'").fetchone()[0]
        gb.log(f"B4: a fresh academy agent pulls {visible:,} events")
        data, seconds, summary, rss = agent_pull_measured(args, server, "agent-academy")
        events, grid_state = agent_counts(data)
        if events != grids:
            gb.fail(f"the agent holds {events} grid events of the {grids} on the server")

        rows = os.path.join(args.work, "rows.tsv")
        with open(rows, "w", encoding="utf-8", newline="\n") as f:
            for row in conn.execute("SELECT id, entity, field, body, scope, author, device, wall, counter, receipt, received_from FROM events ORDER BY seq"):
                f.write("\t".join(str(c) for c in row) + "\n")
        floor = gb.run_floor(args.floor, os.path.join(args.work, "floor.sqlite"), rows, 1000)
        floor_rate = floor["events"] / floor["seconds"]
        os.remove(rows)
        gb.rmtree(data)

        national = None
        if args.national > args.academy:
            gb.log(f"B4: pushing {args.national - args.academy:,} more events")
            push_events(server, roster, args.national - args.academy, fields, writers, clients, n)
            total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
            ngrids = conn.execute("SELECT count(*) FROM events WHERE entity LIKE 'grid/%'").fetchone()[0]
            gb.log(f"B4: a fresh academy agent pulls {total:,} events")
            ndata, nseconds, _, nrss = agent_pull_measured(args, server, "agent-national")
            nevents, _ = agent_counts(ndata)
            if nevents != ngrids:
                gb.fail(f"the agent holds {nevents} grid events of the {ngrids} on the server")
            national = (total, nseconds, nrss)
            gb.rmtree(ndata)
    finally:
        server.stop()

    rate = visible / seconds
    ratio = rate / floor_rate
    rows_md = [[f"{visible:,} events (academy)", f"{seconds:.2f} s", f"{rate:,.0f}", f"{floor_rate:,.0f}", f"{ratio:.2f}", f"{rss:.0f}"]]
    if national:
        total, nseconds, nrss = national
        rows_md.append([f"{total:,} events", f"{nseconds:.2f} s", f"{total / nseconds:,.0f}", "", "", f"{nrss:.0f}"])
    text = "\n".join([
        "## B4 initial pull",
        "",
        "A release server holds a generated academy (100 commissions of 14 candidates, comment writes with "
        "`prev` chains). A fresh real `grille-agent`, enrolled for the academy coordinator (who sees every "
        "commission), runs `grille-agent sync`: from its start to its exit, every event is stored in its log and "
        "materialised into its state (checked after: the agent holds every grid event of the server; the server's count "
        "also includes the roster's events). The floor is `bench/floor/insert.c` inserting the same "
        "rows into the same `events` schema in transactions of 1,000 (no state, no HTTP).",
        "",
        gb.markdown_table(["pull", "agent time", "events/s", "floor events/s", "ratio", "agent peak RSS MiB"], rows_md),
        "",
        f"Targets: 100k in ≤ 1 s — {'met' if seconds <= 1 else 'missed'} ({seconds:.2f} s); ≥ 0.3× the floor — "
        f"{'met' if ratio >= 0.3 else 'missed'} ({ratio:.2f}).",
        "",
    ])
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    with open(os.path.join(args.work, "b7-agent.json"), "w") as f:
        json.dump({"academy_rss_mib": rss, "national": national}, f)
    print(f"ratio B4 agent/floor: {ratio:.2f} (target ≥ 0.3); {visible:,} events in {seconds:.2f} s (target ≤ 1 s)")


if __name__ == "__main__":
    main()

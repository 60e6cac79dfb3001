#!/usr/bin/env python3
"""B3 academy push, B5 propagation and the server's part of B7 (peak RSS), on one release server.

  b3_academy.py --bin DIR --work DIR --out FILE --repo DIR [--agents 200] [--events 700]
                [--morning-minutes 120] [--speed 100] [--b1-rate EVENTS_PER_S] [--seed 1]

B3: a generated academy of agents/2 commissions of 14 candidates, each with a teacher and a professional.
Every member is a long-running agent kept in this process (token, pull cursor, the heads it knows per
field, its pending writes), enrolled before timing. Over a simulated morning each agent writes `--events`
level and comment events on its commission's final grids (the two members write the same fields, so
fields are contested) and syncs on its own seeded schedule (mean interval 5 minutes, plus a last sync at
the end): push its pending writes in one request, then pull pages until `more` is false. The morning
runs at `--speed` times real speed; 8 client threads let syncs that fall together overlap. Measured: the
server's CPU seconds over the whole session, each sync's latency (push + pulls, as the agent sees it),
and the server's peak RSS (VmHWM).

B5: then, on the same server (holding the session), agent A writes one event and pushes it; agent B of
the same commission pulls right after A's answer until it holds the event. The time from A's push to
B's answer, 300 times (no poll interval: B pulls at once).
"""

import argparse
import heapq
import json
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import grillebench as gb  # noqa: E402

LEVELS = ["TI", "I", "S", "TS"]


class Agent:
    def __init__(self, evaluator, commission, client, device):
        self.evaluator = evaluator
        self.commission = commission
        self.client = client
        self.device = device
        self.cursor = 0
        self.heads = {}  # (entity, field) -> set of ids
        self.writer = gb.Writer(device, evaluator)
        self.pending = []
        self.lock = threading.Lock()
        self.latencies = []
        self.pushed = 0
        self.pulled = 0

    def learn(self, event):
        key = (event["entity"], event["field"])
        heads = self.heads.setdefault(key, set())
        heads.difference_update(event["prev"])
        heads.add(event["id"])

    def write(self, candidate, field, value):
        key = (f"grid/{gb.TEMPLATE}/{gb.SESSION}/{candidate}/{gb.SITUATION}", field)
        event = self.writer.event(candidate, field, value, prev=sorted(self.heads.get(key, ())))
        self.learn(event)
        self.pending.append(gb.canonical(event))

    def sync(self):
        start = time.perf_counter()
        if self.pending:
            batch, self.pending = self.pending, []
            answer = self.client.push(gb.push_body(batch))
            if answer["rejected"] or len(answer["accepted"]) + len(answer["duplicates"]) != len(batch):
                gb.fail(f"{self.evaluator}: push not accepted whole: {answer['rejected'][:1]}")
            self.pushed += len(batch)
        while True:
            page = self.client.pull(self.cursor)
            for item in page["events"]:
                self.learn(item["event"])
            self.pulled += len(page["events"])
            self.cursor = page["cursor"]
            if not page["more"]:
                break
        self.latencies.append(time.perf_counter() - start)


def setup(args, work, roster):
    server = gb.Server(args.bin, work)
    server.init(roster.directory)
    server.start()
    agents = []
    for commission in roster.commissions:
        for member in commission["members"]:
            device, client = gb.enroll_device(server, member)
            agents.append(Agent(member, commission, client, device))
    return server, agents


def plan(args, agents, fields, rng):
    """Seeded (time, kind, agent index, payload) actions over the morning, in simulated seconds."""
    morning = args.morning_minutes * 60
    actions = []
    for index, agent in enumerate(agents):
        candidates = agent.commission["candidates"]
        for n in range(args.events):
            at = rng.uniform(0, morning)
            candidate = rng.choice(candidates)
            field = rng.choice(fields)
            value = rng.choice(LEVELS) if field.startswith("level/") else gb.comment(n + 1)
            actions.append((at, 1, index, (candidate, field, value)))
        at = rng.uniform(0, 300)
        while at < morning:
            actions.append((at, 2, index, None))
            at += rng.expovariate(1 / 300)
        actions.append((morning + 1, 2, index, None))
    heapq.heapify(actions)
    return actions


def run_session(args, server, agents, actions):
    pool = ThreadPoolExecutor(max_workers=8)
    futures = []
    cpu0 = gb.cpu_seconds(server.pid)
    start = time.perf_counter()
    syncs = 0
    while actions:
        at, kind, index, payload = heapq.heappop(actions)
        delay = start + at / args.speed - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        agent = agents[index]
        if kind == 1:
            with agent.lock:
                agent.write(*payload)
        else:
            syncs += 1

            def job(agent=agent):
                with agent.lock:
                    agent.sync()
            futures.append(pool.submit(job))
    for future in futures:
        future.result()
    pool.shutdown()
    wall = time.perf_counter() - start
    cpu = gb.cpu_seconds(server.pid) - cpu0
    return syncs, wall, cpu


def propagation(server, a, b, rounds=300):
    # Bring B up to date first, so each round measures one write.
    b.sync()
    times = []
    for n in range(rounds):
        candidate = a.commission["candidates"][n % len(a.commission["candidates"])]
        a.write(candidate, "appreciation/A", f"Propagation {n}")
        batch, a.pending = a.pending, []
        target = json.loads(batch[-1])["id"]
        t0 = time.perf_counter()
        answer = a.client.push(gb.push_body(batch))
        if len(answer["accepted"]) != 1:
            gb.fail(f"propagation push: {answer}")
        seen = False
        while not seen:
            page = b.client.pull(b.cursor)
            b.cursor = page["cursor"]
            seen = any(item["event"]["id"] == target for item in page["events"])
            if not page["more"] and not seen:
                gb.fail("propagation: B's pull came back without A's event")
        times.append(time.perf_counter() - t0)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("bin", "work", "out", "repo"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--events", type=int, default=700)
    parser.add_argument("--morning-minutes", type=float, default=120)
    parser.add_argument("--speed", type=float, default=100)
    parser.add_argument("--b1-rate", type=float, default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    criteria = [f.split("/", 1)[1] for f in gb.text_fields(args.repo) if f.startswith("comment/")]
    fields = [f"level/{c}" for c in criteria] + [f"comment/{c}" for c in criteria] + ["appreciation/A", "appreciation/B"]
    roster = gb.Roster(os.path.join(args.work, "roster"), args.agents // 2, 14)
    gb.log(f"B3: {args.agents} agents enrolling")
    server, agents = setup(args, args.work, roster)
    try:
        actions = plan(args, agents, fields, rng)
        writes = sum(1 for a in actions if a[1] == 1)
        gb.log(f"B3: {writes:,} writes over {args.morning_minutes:.0f} simulated minutes at {args.speed:.0f}× speed")
        syncs, wall, cpu = run_session(args, server, agents, actions)
        server_rss = gb.peak_rss_mib(server.pid)
        latencies = [x for agent in agents for x in agent.latencies]
        pushed = sum(a.pushed for a in agents)
        pulled = sum(a.pulled for a in agents)
        if pushed != writes:
            gb.fail(f"B3: {pushed} events pushed for {writes} writes")
        p50, p99 = gb.percentile(latencies, 50), gb.percentile(latencies, 99)
        gb.log(f"B3: {syncs} syncs, server CPU {cpu:.2f} s, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, peak RSS {server_rss:.0f} MiB")

        gb.log("B5: propagation, 300 writes from A seen by B")
        a, b = agents[0], agents[1]
        times = propagation(server, a, b)
        q50, q99 = gb.percentile(times, 50), gb.percentile(times, 99)
    finally:
        server.stop()

    b1 = f"{args.b1_rate:,.0f} events/s" if args.b1_rate else "not given"
    b1_time = f"{writes / args.b1_rate:.2f} s" if args.b1_rate else "—"
    text = "\n".join([
        "## B3 academy push",
        "",
        f"{args.agents} agents ({args.agents // 2} commissions of 14 candidates, a teacher and a professional each) "
        f"kept in the bench process, enrolled before timing; {writes:,} level and comment writes "
        f"({args.events} per agent) on the commissions' final grids, both members writing the same fields, over a "
        f"{args.morning_minutes:.0f}-minute simulated morning run at {args.speed:.0f}× speed ({wall:.1f} s). Each agent "
        "syncs on its own seeded schedule (mean every 5 simulated minutes, and once at the end): one push of its "
        "pending writes, then pull pages until `more` is false. 8 client threads.",
        "",
        gb.markdown_table(["figure", "value", "target"], [
            ["syncs", f"{syncs:,}", ""],
            ["events pushed / pulled", f"{pushed:,} / {pulled:,}", ""],
            ["server CPU time for the whole session", f"{cpu:.2f} s", "≤ 2 s"],
            ["sync latency p50 / p99 (push + pulls)", f"{p50 * 1000:.1f} / {p99 * 1000:.1f} ms", "p99 ≤ 50 ms"],
            [f"beside it: B1's rate ({b1}) would ingest the session's writes in", b1_time, ""],
        ]),
        "",
        f"Targets: server time {'met' if cpu <= 2 else 'missed'}, p99 {'met' if p99 <= 0.05 else 'missed'}.",
        "",
        "## B5 propagation",
        "",
        "On the same server after the session: agent A writes one event and pushes it; agent B of the same "
        "commission pulls as soon as A's answer arrives (no poll interval) until it holds the event. 300 rounds.",
        "",
        gb.markdown_table(["figure", "value", "target"], [
            ["p50", f"{q50 * 1000:.2f} ms", "≤ 3 ms"],
            ["p99", f"{q99 * 1000:.2f} ms", "≤ 10 ms"],
        ]),
        "",
        f"Targets: p50 {'met' if q50 <= 0.003 else 'missed'}, p99 {'met' if q99 <= 0.010 else 'missed'}.",
        "",
    ])
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    with open(os.path.join(args.work, "b7-server.json"), "w") as f:
        json.dump({"server_peak_rss_mib": server_rss}, f)
    print(f"B5 propagation p50 {q50 * 1000:.2f} ms, p99 {q99 * 1000:.2f} ms (targets 3 / 10 ms)")
    print(f"ratio B3 server CPU / 2 s budget: {cpu / 2:.2f} (target ≤ 1); p99 {p99 * 1000:.1f} ms (target ≤ 50)")


if __name__ == "__main__":
    main()

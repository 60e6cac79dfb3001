#!/usr/bin/env python3
"""B7 memory: the peak RSS figures B3 (server) and B4 (agent) recorded, as one section.

  b7_memory.py SERVER_JSON AGENT_JSON OUT
"""

import json
import sys


def main():
    server_path, agent_path, out = sys.argv[1:4]
    with open(server_path) as f:
        server = json.load(f)["server_peak_rss_mib"]
    with open(agent_path) as f:
        agent = json.load(f)
    rows = [f"| server, whole B3 session (VmHWM) | {server:.0f} MiB | ≤ 100 MiB | {'met' if server <= 100 else 'missed'} |",
            f"| agent, B4 academy pull (GNU time `%M`) | {agent['academy_rss_mib']:.0f} MiB | | |"]
    worst = agent["academy_rss_mib"]
    if agent.get("national"):
        total, _, rss = agent["national"]
        worst = rss
        rows.append(f"| agent, B4 pull of {total:,} events (GNU time `%M`) | {rss:.0f} MiB | ≤ 64 MiB | {'met' if rss <= 64 else 'missed'} |")
    text = "\n".join([
        "## B7 memory",
        "",
        "| process | peak RSS | target | |",
        "| --- | ---: | ---: | --- |",
        *rows,
        "",
    ])
    with open(out, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(f"B7 peak RSS: server {server:.0f} MiB (target ≤ 100), agent {worst:.0f} MiB (target ≤ 64)")


if __name__ == "__main__":
    main()

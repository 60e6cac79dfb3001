"""Shared pieces of Grille's benchmarks (Python standard library only).

A generated academy roster, a release `grille-server` started on loopback for the run, a keep-alive
HTTP client speaking docs/PROTOCOL.md, valid grid events with the `prev` chains a real agent writes,
and small measuring helpers (CPU seconds and peak RSS from /proc, percentiles, Markdown).
"""

import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

TEMPLATE = "ndrc-e4-ccf"
SESSION = "2026"
SITUATION = "final"
ACADEMY = "ev-acad"


_STARTED = time.monotonic()


def log(message):
    """A progress line on stderr, with the seconds since this benchmark started."""
    print(f"   [{time.monotonic() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def fail(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def canonical(value):
    """Canonical JSON (docs/PROTOCOL.md) for the values these benchmarks write."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def text_fields(repo):
    """The comment and appreciation fields of the template's final situation."""
    path = os.path.join(repo, "Sources/Shared/Resources/templates", f"{TEMPLATE}.json")
    with open(path, encoding="utf-8") as f:
        template = json.load(f)
    situation = next(s for s in template["situations"] if s["id"] == SITUATION)
    blocks = list(situation["blocks"]) + [b for group in situation["alternatives"] for b in group]
    criteria = [c["id"] for block in template["blocks"] if block["id"] in blocks for c in block["criteria"]]
    fields = [f"comment/{c}" for c in criteria]
    fields += [f for f in ("appreciation/A", "appreciation/B") if f in situation["fields"]]
    return fields


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def cpu_seconds(pid):
    """User + system CPU seconds of a process (and its waited-for children), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid):
    """VmHWM of a live process, in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# --- Roster -------------------------------------------------------------------------------------------

class Roster:
    """A generated academy: establishments, commissions of two evaluators (a teacher and a professional)
    with their candidates, one coordinator per establishment and one academy coordinator (ACADEMY)."""

    def __init__(self, directory, commissions, candidates_per_commission, commissions_per_establishment=10):
        self.directory = directory
        self.commissions = []  # dicts: id, establishment, members, candidates
        os.makedirs(directory, exist_ok=True)
        establishments = (commissions + commissions_per_establishment - 1) // commissions_per_establishment
        uais = [f"{690000 + n:07d}{'ABCDEFGHJK'[n % 10]}" for n in range(establishments)]
        evaluators = [(ACADEMY, "", "academy")]
        registrations = []
        candidates = []
        number = 0
        for n in range(commissions):
            uai = uais[n // commissions_per_establishment]
            teacher, professional = f"ev-t{n:05d}", f"ev-p{n:05d}"
            evaluators += [(teacher, uai, "teacher"), (professional, uai, "professional")]
            mine = []
            for _ in range(candidates_per_commission):
                number += 1
                cand = f"{number:08d}"
                mine.append(cand)
                candidates.append((cand, uai))
                registrations.append((cand, f"cm-{n:05d}"))
            self.commissions.append({"id": f"cm-{n:05d}", "establishment": uai,
                                     "members": [teacher, professional], "candidates": mine})
        evaluators += [(f"ev-c{n:04d}", uai, "coordinator") for n, uai in enumerate(uais)]

        def write(name, header, rows):
            with open(os.path.join(directory, name), "w", encoding="utf-8", newline="\n") as f:
                f.write(header + "\n")
                for row in rows:
                    f.write(",".join(row) + "\n")

        write("establishments.csv", "uai,name,city", [(u, f"Lycée {i}", "Lyon") for i, u in enumerate(uais)])
        write("evaluators.csv", "id,last_name,first_name,email,establishment,role",
              [(e, "Nom", "Prénom", f"{e}@banc.example", uai, role) for e, uai, role in evaluators])
        write("commissions.csv", "id,establishment,template,session,members",
              [(c["id"], c["establishment"], TEMPLATE, SESSION, ";".join(c["members"])) for c in self.commissions])
        write("candidates.csv", "number,last_name,first_name,establishment,internship_weeks",
              [(cand, "Candidat", "Test", uai, "16") for cand, uai in candidates])
        write("registrations.csv", "candidate,commission", registrations)
        self.candidate_count = len(candidates)


# --- Server -------------------------------------------------------------------------------------------

class Server:
    """A release `grille-server` on its own database in `work`, served on 127.0.0.1 with a free port."""

    def __init__(self, bin_dir, work, name="server"):
        self.exe = os.path.join(bin_dir, "grille-server")
        self.work = work
        self.db = os.path.join(work, f"{name}.sqlite")
        self.process = None
        self.port = None

    def cli(self, *args):
        result = subprocess.run([self.exe, "--db", self.db, *args], capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"grille-server {' '.join(args)}: {result.stderr.strip()[:500]}")
        return result.stdout

    def init(self, roster_dir):
        self.cli("init", "--academy", "Banc d'essai", "--timezone", "Europe/Paris")
        self.cli("roster", "import", roster_dir, "--by", ACADEMY)

    def enrollment_code(self, evaluator):
        return json.loads(self.cli("enroll", evaluator, "--by", ACADEMY, "--json"))["code"]

    @property
    def key(self):
        with open(self.db + ".key", encoding="ascii") as f:
            return bytes.fromhex(f.read().strip())

    def start(self):
        out = open(os.path.join(self.work, "serve.out"), "w")
        err = open(os.path.join(self.work, "serve.err"), "w")
        self.process = subprocess.Popen([self.exe, "--db", self.db, "serve", "--listen", "127.0.0.1:0"],
                                        stdout=out, stderr=err)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(os.path.join(self.work, "serve.out"), encoding="utf-8") as f:
                first = f.readline()
            found = re.search(r"http://127\.0\.0\.1:([0-9]+)", first)
            if found:
                self.port = int(found.group(1))
                return self
            if self.process.poll() is not None:
                fail("grille-server serve stopped: " + open(os.path.join(self.work, "serve.err")).read()[:500])
            time.sleep(0.05)
        fail("grille-server serve printed no port within 20 s")

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Client:
    """One keep-alive HTTP connection to the server."""

    # The server closes a keep-alive connection idle for its idle timeout: reconnect before that.
    IDLE_RECONNECT_SECONDS = 10

    def __init__(self, port, token=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.token = token
        self.last_used = time.monotonic()

    def request(self, method, target, body=None):
        if time.monotonic() - self.last_used > self.IDLE_RECONNECT_SECONDS:
            self.conn.close()  # http.client opens a new connection for the next request
        self.last_used = time.monotonic()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        self.conn.request(method, target, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        self.last_used = time.monotonic()
        return response.status, data

    def enroll(self, code, device, evaluator):
        status, data = self.request("POST", "/v1/enroll", canonical(
            {"code": code, "device": device, "evaluator": evaluator, "protocol": 1}).encode("utf-8"))
        if status != 200:
            fail(f"enroll answered {status}: {data[:300]!r}")
        self.token = json.loads(data)["token"]
        return self.token

    def push(self, body):
        status, data = self.request("POST", "/v1/sync/push", body)
        if status != 200:
            fail(f"push answered {status}: {data[:300]!r}")
        return json.loads(data)

    def pull(self, after, limit=1000):
        status, data = self.request("GET", f"/v1/sync/pull?after={after}&limit={limit}")
        if status != 200:
            fail(f"pull answered {status}: {data[:300]!r}")
        return json.loads(data)

    def close(self):
        self.conn.close()


def enroll_device(server, evaluator, device=None):
    device = device or "dev-" + uuid.uuid4().hex[:16]
    client = Client(server.port)
    client.enroll(server.enrollment_code(evaluator), device, evaluator)
    return device, client


# --- Events -------------------------------------------------------------------------------------------

class Writer:
    """The events one device writes, as the agent writes them: HLC stamps that only grow, and for each
    field `prev` = the head this device last saw (its own previous write of the field)."""

    def __init__(self, device, author, wall=None):
        self.device = device
        self.author = author
        self.wall = wall if wall is not None else int(time.time() * 1000) - 60_000
        self.counter = 0
        self.heads = {}

    def event(self, candidate, field, value, prev=None):
        self.counter += 1
        entity = f"grid/{TEMPLATE}/{SESSION}/{candidate}/{SITUATION}"
        key = (entity, field)
        event = {
            "id": uuid7(), "entity": entity, "field": field, "value": value,
            "hlc": {"wall": self.wall, "counter": self.counter, "device": self.device},
            "author": self.author, "device": self.device,
            "prev": prev if prev is not None else ([self.heads[key]] if key in self.heads else []),
        }
        self.heads[key] = event["id"]
        return event


def uuid7():
    """A version 7 UUID of the current millisecond, as the agent makes its event ids (SecureRandom.uuid7)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")   # 80 bits: 12 after the version, 62 after the variant
    value = (ms << 80) | (0x7 << 76) | (((rand >> 62) & 0xFFF) << 64) | (0b10 << 62) | (rand & ((1 << 62) - 1))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def comment(i):
    return f"Saisie n° {i} : ciblage « précis » du portefeuille, relances à prévoir sous 8 jours."


def receipt(key, event_id, body):
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    return hmac.new(key, f"grille-receipt-v1\n{event_id}\n{digest}\n".encode("utf-8"), hashlib.sha256).hexdigest()


def scope_of(event):
    return event["entity"].rsplit("/", 1)[0]


def push_body(bodies):
    return ('{"events":[' + ",".join(bodies) + "]}").encode("utf-8")


def push_concurrently(clients, requests, concurrency=2):
    """Sends every (client key, body) of `requests` as a push, `concurrency` in flight but never two of one
    client at once (a device's batches go one after the other, in order), as the laptops of an academy do:
    the server parses one push while it stores another. Returns the answers and the latencies (seconds),
    in the order of `requests`."""
    answers = [None] * len(requests)
    latencies = [0.0] * len(requests)
    client_locks = {key: threading.Lock() for key, _ in requests}
    taken = iter(range(len(requests)))
    take = threading.Lock()
    failures = []

    def worker():
        while not failures:
            with take:
                index = next(taken, None)
            if index is None:
                return
            key, body = requests[index]
            with client_locks[key]:
                t0 = time.perf_counter()
                try:
                    answers[index] = clients[key].push(body)
                except BaseException as error:   # fail() or a broken connection: stop every worker, raise it once
                    failures.append(error)
                    return
                latencies[index] = time.perf_counter() - t0

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return answers, latencies


def run_floor(exe, database, rows, batch):
    """bench/floor/insert.c on a new database: {events, seconds, cpu, db}."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(database + suffix):
            os.remove(database + suffix)
    line = subprocess.run([exe, database, rows, str(batch)], capture_output=True, text=True, check=True).stdout
    fields = dict(part.split("=", 1) for part in line.split())
    return {"events": int(fields["rows"]), "seconds": float(fields["seconds"]), "cpu": float(fields["cpu_seconds"]), "db": database}


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)


def shuffled(items, seed):
    rng = random.Random(seed)
    items = list(items)
    rng.shuffle(items)
    return items

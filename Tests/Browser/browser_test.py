#!/usr/bin/python3
"""Browser tests of Grille's two web interfaces, in headless Chromium driven by Debian's python3-selenium.

Real binaries, real browser, nothing mocked:
  1. an evaluator enrolls a laptop in the agent's UI (`grille-agent serve`), opens a final grid, fills it
     and signs it with the keyboard only (Tab, 1-4, arrows, typing, Enter);
  2. the server stops: the evaluator keeps working, the indicator shows the pending event;
  3. the server comes back: the indicator reaches « Synchronisé »;
  4. the coordinator signs in to the dashboard, sees the grid and harmonises its note;
  5. after a sync, the harmonisation shows read-only in the evaluator's UI;
  6. security: a page of another origin cannot write to the agent (CSRF), a foreign Host is refused,
     a request without the session cookie or the CSRF token is refused, and nothing was written.

Usage: browser_test.py BIN_DIR [SCREENSHOT_DIR]. Prints one line per check and ends with
"N passed, N failed"; exit status 1 on any failure.
"""
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.support.expected_conditions import staleness_of

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug")
SHOTS = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
GRID = "grid/ndrc-e4-ccf/2026/02614001/final"
COORDINATOR = "ev-0112"
PASSWORD = "Harmonisation-2026!"

passed = 0
failed = 0


def check(condition, what):
    global passed, failed
    if condition:
        passed += 1
        print(f"   ok  {what}", flush=True)
    else:
        failed += 1
        print(f"   FAIL  {what}", flush=True)
    return condition


class Processes:
    """Children started by the test, always stopped at the end."""

    def __init__(self):
        self.children = []

    def start(self, args, out_path):
        out = open(out_path, "w")
        child = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.children.append(child)
        return child

    def stop(self, child):
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def stop_all(self):
        for child in self.children:
            self.stop(child)


def wait_for_line(path, pattern, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(path) as handle:
                match = re.search(pattern, handle.read())
            if match:
                return match
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no « {pattern} » in {path} after {timeout} s")


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120)


def raw_request(port, method, path, headers, body=b""):
    """One HTTP request with exactly these headers (http.client adds none we did not ask for)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    if body:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data.decode("utf-8", "replace")


def main():
    tmp = tempfile.mkdtemp(prefix="grille-browser-")
    procs = Processes()
    driver = None
    try:
        driver = scenario(tmp, procs)
    finally:
        if driver is not None:
            driver.quit()
        procs.stop_all()
        if failed == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"   (files kept in {tmp})")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def scenario(tmp, procs):
    server_bin = os.path.join(BIN, "grille-server")
    agent_bin = os.path.join(BIN, "grille-agent")
    db = os.path.join(tmp, "server.sqlite")
    data = os.path.join(tmp, "laptop")

    def server(*args, stdin=None):
        result = run([server_bin, "--db", db, *args], stdin=stdin)
        if result.returncode != 0:
            raise RuntimeError(f"grille-server {' '.join(args)}: {result.stderr}")
        return result.stdout

    def agent(*args):
        return run([agent_bin, "--data", data, *args])

    print("== server and roster")
    server("init", "--academy", "Académie de démonstration", "--timezone", "Europe/Paris")
    server("roster", "import", os.path.join(ROOT, "demo", "roster"), "--by", COORDINATOR)
    server("coordinator", "iterations", "1000", "--by", COORDINATOR)
    server("coordinator", "password", COORDINATOR, stdin=PASSWORD + "\n")
    code = server("enroll", "ev-0101", "--by", COORDINATOR).strip().splitlines()[-1].strip()
    server_child = procs.start([server_bin, "--db", db, "serve", "--listen", "127.0.0.1:0"], os.path.join(tmp, "server.out"))
    server_port = int(wait_for_line(os.path.join(tmp, "server.out"), r"http://127\.0\.0\.1:(\d+)").group(1))
    server_url = f"http://127.0.0.1:{server_port}"
    check(True, f"grille-server on {server_url}")

    agent_out = os.path.join(tmp, "agent.out")
    procs.start([agent_bin, "--data", data, "serve", "--port", "0", "--interval", "2", "--no-open"], agent_out)
    launch = wait_for_line(agent_out, r"(http://127\.0\.0\.1:(\d+)/\?k=[0-9a-f]+)")
    launch_url, agent_port = launch.group(1), int(launch.group(2))
    agent_url = f"http://127.0.0.1:{agent_port}"
    check(True, f"grille-agent serve on {agent_url}")

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
                 "--lang=fr-FR", f"--user-data-dir={os.path.join(tmp, 'profile')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    # A page reloading under a poll detaches its elements (stale, missing, or « does not belong to the
    # document »): the poll tries again.
    transient = (WebDriverException,)
    wait = WebDriverWait(driver, 30, ignored_exceptions=transient)

    def shot(name):
        if SHOTS:
            os.makedirs(SHOTS, exist_ok=True)
            driver.save_screenshot(os.path.join(SHOTS, name + ".png"))

    def active():
        return driver.switch_to.active_element

    def keys(*sequence):
        ActionChains(driver).send_keys(*sequence).perform()

    def tab_until(predicate, limit=400, what="element"):
        for _ in range(limit):
            keys(Keys.TAB)
            if predicate(active()):
                return active()
        raise RuntimeError(f"Tab never reached {what}")

    def sync_state():
        return driver.find_element(By.ID, "sync").get_attribute("data-state")

    # ---- 1. Enrollment, then the final grid with the keyboard only --------------------------------------
    print("== evaluator: enrollment and a final grid filled and signed with the keyboard")
    driver.get(launch_url)
    wait.until(lambda d: d.find_elements(By.ID, "server"))
    check("/inscription" in driver.current_url, "first run opens the enrollment page")
    shot("agent-01-inscription")
    driver.find_element(By.ID, "server").send_keys(server_url)
    driver.find_element(By.ID, "code").send_keys(code + Keys.ENTER)
    wait.until(lambda d: d.current_url.rstrip("/") == agent_url and "cm-e4-01" in d.page_source)
    check("02614001" in driver.page_source or "MOREAU" in driver.page_source.upper(), "after enrollment the commissions and candidates arrive")
    shot("agent-02-commissions")

    driver.get(f"{agent_url}/candidat?n=02614001")
    shot("agent-03-candidat")
    option = driver.find_element(By.CSS_SELECTOR, "select[id^='opt-new-ndrc-e4-ccf-final']")
    option.send_keys("Organiser")  # typing selects « Organiser et animer un évènement commercial »
    check(option.get_attribute("value") == "evenement", "option « évènement » chosen by typing")
    form = option.find_element(By.XPATH, "./ancestor::form")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").send_keys(Keys.ENTER)
    wait.until(lambda d: "/grille?id=" in d.current_url and d.find_elements(By.CSS_SELECTOR, "table.grille"))
    check(True, "the final grid opens")

    ticks = [("prospection.1", "3"), ("prospection.2", "4"), ("prospection.3", "3"), ("prospection.4", "2"),
             ("evenement.1", "3"), ("evenement.2", "4"), ("evenement.3", "3"), ("information.1", "3"), ("information.2", "2")]
    codes = {"1": "TI", "2": "I", "3": "S", "4": "TS"}
    for criterion, key in ticks:
        tab_until(lambda e: e.get_attribute("data-criterion") == criterion and "lvl" in (e.get_attribute("class") or ""),
                  what=f"the levels of {criterion}")
        keys(key)
        wait.until(lambda d: d.find_element(By.ID, f"row-{criterion}").get_attribute("data-level") == codes[key])
    # Arrows move within a criterion, and each move is saved: information.2 from I to S.
    keys(Keys.ARROW_RIGHT)
    wait.until(lambda d: d.find_element(By.ID, "row-information.2").get_attribute("data-level") == "S")
    check(True, "9 criteria ticked with the keys 1-4 and one changed with an arrow, each saved at once")
    shown = json.loads(agent("grid", "show", GRID, "--json").stdout)
    check(shown["levels"].get("information.2") == "S" and len(shown["levels"]) == 9,
          f"the agent's store holds the 9 levels ({shown['levels']})")

    def type_field(field_id, text):
        element = tab_until(lambda e: e.get_attribute("id") == field_id, what=field_id)
        element.send_keys(text)
        button = tab_until(lambda e: e.tag_name == "button", what=f"the button of {field_id}")
        button.send_keys(Keys.ENTER)
        form = element.find_element(By.XPATH, "./ancestor::form")
        wait.until(lambda d: form.find_element(By.CSS_SELECTOR, ".form-msg").text not in ("", "Enregistrement…"))
        return form.find_element(By.CSS_SELECTOR, ".form-msg")

    type_field("f-appreciation-A", "Prospection méthodique ; portefeuille bien analysé.")
    type_field("f-appreciation-B", "Évènement bien organisé, bilan chiffré précis.")
    refused = type_field("f-note", "25")
    check("failed" in (refused.get_attribute("class") or "") and "20" in refused.text,
          f"a note of 25 is refused with a French message: « {refused.text} »")
    note = driver.find_element(By.ID, "f-note")
    note.send_keys(Keys.CONTROL, "a")
    note.send_keys("14,5")
    keys(Keys.TAB)
    active().send_keys(Keys.ENTER)
    wait.until(lambda d: "14,5" in json.dumps(json.loads(agent("grid", "show", GRID, "--json").stdout).get("fields", {}))
               or json.loads(agent("grid", "show", GRID, "--json").stdout).get("fields", {}).get("note") in (29, "14,5"))
    check(True, "note 14,5 saved")
    wait.until(lambda d: not d.find_elements(By.ID, "sign-blockers") or not d.find_element(By.ID, "sign-blockers").is_displayed())
    check(True, "the signing section no longer lists what was missing, without a reload")
    shot("agent-04-grille-remplie")

    sign = tab_until(lambda e: e.get_attribute("id") == "sign-me", what="the signing button")
    sign.send_keys(Keys.ENTER)
    wait.until(staleness_of(sign))
    wait.until(lambda d: d.find_elements(By.ID, "sign-name"))
    summary = tab_until(lambda e: e.tag_name == "summary" and "Co-signature" in e.text, what="the co-signature panel")
    summary.send_keys(Keys.ENTER)
    name = tab_until(lambda e: e.get_attribute("id") == "sign-name", what="the co-signer's name")
    name.send_keys("BENALI Karim")
    witness = tab_until(lambda e: e.get_attribute("id") == "sign-witness", what="the witness box")
    witness.send_keys(Keys.SPACE)
    tab_until(lambda e: e.tag_name == "button", what="the co-signature button").send_keys(Keys.ENTER)
    wait.until(lambda d: "complète" in d.find_element(By.ID, "gs-label").text)
    check(True, f"signed by the teacher and co-signed by the professional: « {driver.find_element(By.ID, 'gs-label').text} »")
    shot("agent-05-grille-signee")

    wait.until(lambda d: sync_state() == "synced")
    check(True, "the indicator reaches « Synchronisé » after the writes")

    # ---- 2. Server down: work continues, the indicator shows it --------------------------------------
    print("== the server stops; the evaluator keeps working")
    procs.stop(server_child)
    comment_toggle = driver.find_element(By.CSS_SELECTOR, "#row-prospection\\.4 details.comment summary")
    comment_toggle.send_keys(Keys.ENTER)
    wait.until(lambda d: d.find_element(By.ID, "cm-prospection.4").is_displayed())
    area = driver.find_element(By.ID, "cm-prospection.4")
    area.send_keys("Réseau professionnel peu activé.")
    keys(Keys.TAB)
    active().send_keys(Keys.ENTER)
    wait.until(lambda d: "en attente" in d.find_element(By.ID, "sync-pending").text)
    WebDriverWait(driver, 30, ignored_exceptions=transient).until(lambda d: sync_state() in ("offline", "error"))
    check(True, f"offline: « {driver.find_element(By.ID, 'sync-label').text} », « {driver.find_element(By.ID, 'sync-pending').text} »")
    shot("agent-06-hors-ligne")

    # ---- 3. Server back ------------------------------------------------------------------------------
    print("== the server comes back")
    server_child = procs.start([server_bin, "--db", db, "serve", "--listen", f"127.0.0.1:{server_port}"], os.path.join(tmp, "server2.out"))
    wait_for_line(os.path.join(tmp, "server2.out"), r"http://127\.0\.0\.1:\d+")
    driver.find_element(By.ID, "sync-now").send_keys(Keys.ENTER)
    WebDriverWait(driver, 40, ignored_exceptions=transient).until(lambda d: sync_state() == "synced")
    check("aucune saisie en attente" in driver.find_element(By.ID, "sync-pending").text, "back online: « Synchronisé », nothing pending")
    shot("agent-07-synchronise")

    # ---- 4. Coordinator dashboard --------------------------------------------------------------------
    print("== coordinator: dashboard and harmonisation")
    driver.get(f"{server_url}/dashboard")
    wait.until(lambda d: d.find_elements(By.ID, "account"))
    driver.find_element(By.ID, "account").send_keys(COORDINATOR)
    driver.find_element(By.ID, "password").send_keys("mauvais mot de passe" + Keys.ENTER)
    wait.until(lambda d: d.find_elements(By.ID, "account"))
    check("incorrect" in driver.page_source.lower() or "refus" in driver.page_source.lower(), "a wrong password is refused")
    driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    wait.until(lambda d: d.current_url.endswith("/dashboard") and not d.find_elements(By.ID, "password"))
    check("Lycée" in driver.page_source, "the overview lists the establishments")
    shot("dashboard-01-vue-academique")
    for path, name in [("/dashboard/criteria?session=2026", "dashboard-02-criteres"), ("/dashboard/notes?session=2026", "dashboard-03-notes"),
                       ("/dashboard/profiles?session=2026", "dashboard-04-profils"), ("/dashboard/devices", "dashboard-05-ordinateurs")]:
        driver.get(server_url + path)
        check("<svg" in driver.page_source or "<table" in driver.page_source, f"{path} draws its tables or charts")
        shot(name)
    driver.get(f"{server_url}/dashboard/grid?id={GRID}")
    wait.until(lambda d: d.find_elements(By.ID, "h-note"))
    check("14,5" in driver.page_source, "the dashboard shows the jury's proposal 14,5")
    driver.find_element(By.ID, "h-note").send_keys("15")
    driver.find_element(By.ID, "h-reason").send_keys("Alignement sur les grilles comparables de l'académie.")
    driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/harmonise'] button[type=submit]").click()
    wait.until(lambda d: "Note harmonisée enregistrée" in d.page_source)
    check(True, "harmonisation recorded on the server")
    shot("dashboard-06-harmonisation")

    # ---- 5. Back in the evaluator's UI ---------------------------------------------------------------
    print("== the harmonisation reaches the evaluator, read-only")
    driver.get(f"{agent_url}/grille?id={GRID}")
    wait.until(lambda d: d.find_elements(By.ID, "sync-now"))
    driver.find_element(By.ID, "sync-now").send_keys(Keys.ENTER)
    WebDriverWait(driver, 40, ignored_exceptions=transient).until(lambda d: sync_state() == "synced")
    driver.refresh()
    wait.until(lambda d: d.find_elements(By.ID, "harm-h"))
    section = driver.find_element(By.CSS_SELECTOR, "section.harmonisation")
    check("15/20" in section.text and "Alignement" in section.text, f"harmonisation shown: « {section.text[:120]} »")
    check(not section.find_elements(By.TAG_NAME, "form") and not section.find_elements(By.TAG_NAME, "input"),
          "the harmonisation has no form on the evaluator's side")
    check("complète" in driver.find_element(By.ID, "gs-label").text, "the signatures stay valid after the harmonisation")
    shot("agent-08-harmonisation-recue")

    # ---- Tablet width ---------------------------------------------------------------------------------
    driver.set_window_size(768, 1024)
    driver.get(f"{agent_url}/grille?id={GRID}")
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "table.grille"))
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(overflow <= 1, f"at tablet width (768 px) the page does not scroll sideways ({overflow} px)")
    check(driver.find_element(By.ID, "sync").is_displayed(), "the sync indicator stays visible at tablet width")
    shot("agent-09-tablette")
    driver.set_window_size(1280, 900)

    # ---- 6. Security ---------------------------------------------------------------------------------
    print("== security of the agent's UI")
    events_before = len(json.loads(agent("log", "--json").stdout or "[]"))
    evil_dir = os.path.join(tmp, "evil")
    os.makedirs(evil_dir)
    with open(os.path.join(evil_dir, "index.html"), "w") as handle:
        handle.write(f"""<!DOCTYPE html><html><body><h1>Page piégée</h1>
<form id="f" method="post" action="{agent_url}/api/grid/level">
<input name="grid" value="{GRID}"><input name="criterion" value="prospection.1"><input name="level" value="TI"></form>
<script>
fetch("{agent_url}/api/grid/level", {{method: "POST", credentials: "include", headers: {{"Content-Type": "application/json"}},
  body: JSON.stringify({{grid: "{GRID}", criterion: "prospection.2", level: "TI"}})}}).then(r => document.title = "fetch " + r.status, e => document.title = "fetch blocked");
setTimeout(() => document.getElementById("f").submit(), 500);
</script></body></html>""")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=evil_dir, **kwargs)

        def log_message(self, *args):
            pass

    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    driver.get(f"http://localhost:{evil.server_address[1]}/index.html")
    time.sleep(3)
    landed = driver.page_source
    shot("security-01-page-piegee")
    check("Synchronisé" not in landed and "Grille ouverte" not in landed, "the foreign page's form landed on a refusal")
    evil.shutdown()
    shown = json.loads(agent("grid", "show", GRID, "--json").stdout)
    check(shown["levels"].get("prospection.1") == "S" and shown["levels"].get("prospection.2") == "TS",
          "levels unchanged after the foreign page's form and fetch")
    check(len(json.loads(agent("log", "--json").stdout or "[]")) == events_before, "no event written by the foreign page")

    cookie = driver.get_cookie(f"grille_agent_{agent_port}") if False else None
    driver.get(f"{agent_url}/")
    cookie = next((c for c in driver.get_cookies() if c["name"] == f"grille_agent_{agent_port}"), None)
    check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", "session cookie is HttpOnly and SameSite=Strict")
    session = f"{cookie['name']}={cookie['value']}" if cookie else ""
    body = json.dumps({"grid": GRID, "criterion": "prospection.1", "level": "TI"}).encode()
    status, text = raw_request(agent_port, "GET", "/", {"Host": f"evil.example:{agent_port}", "Cookie": session})
    check(status == 403 and "MOREAU" not in text.upper(), f"a foreign Host (DNS rebinding) is refused: {status}")
    status, _ = raw_request(agent_port, "POST", "/api/grid/level", {"Host": f"127.0.0.1:{agent_port}", "Cookie": session,
                                                                    "Content-Type": "application/json"}, body)
    check(status == 403, f"a write without the CSRF token is refused: {status}")
    status, _ = raw_request(agent_port, "POST", "/api/grid/level", {"Host": f"127.0.0.1:{agent_port}", "Content-Type": "application/json"}, body)
    check(status in (401, 403), f"a write without the session cookie is refused: {status}")
    csrf = driver.find_element(By.CSS_SELECTOR, "meta[name='grille-csrf']").get_attribute("content")
    status, _ = raw_request(agent_port, "POST", "/api/grid/level", {"Host": f"127.0.0.1:{agent_port}", "Cookie": session, "X-Grille-CSRF": csrf,
                                                                    "Origin": "http://localhost:1", "Content-Type": "application/json"}, body)
    check(status == 403, f"a write from another Origin is refused even with the token: {status}")
    status, text = raw_request(agent_port, "GET", "/static/..%2fapp.css", {"Host": f"127.0.0.1:{agent_port}"})
    check(status == 404, f"no path traversal on static files: {status}")
    status, text = raw_request(agent_port, "GET", "/?k=0000", {"Host": f"127.0.0.1:{agent_port}"})
    check(status == 403, f"a wrong launch secret is refused: {status}")
    shown = json.loads(agent("grid", "show", GRID, "--json").stdout)
    check(shown["levels"].get("prospection.1") == "S", "prospection.1 still S after every refused write")
    return driver


if __name__ == "__main__":
    sys.exit(main())

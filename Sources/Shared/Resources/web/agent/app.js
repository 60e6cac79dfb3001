// Grille — the evaluator's local interface (served by `grille-agent serve` on 127.0.0.1).
// No framework, no external asset. Every page works without this script (plain forms posting to the same
// endpoints); with it, writes go through fetch with the page's CSRF token, each level ticked is saved at
// once, the keyboard ticks levels (1 to 4, arrows, Delete), and the sync indicator refreshes itself.
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="grille-csrf"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  // One POST of a JSON object; resolves with the answer's JSON, rejects with its French message.
  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Grille-CSRF": csrf },
      body: JSON.stringify(data)
    }).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        if (!response.ok) {
          var message = body && body.error && body.error.message;
          throw new Error(message || ("Le programme a refusé la demande (erreur " + response.status + ")."));
        }
        return body || {};
      });
    }, function () {
      throw new Error("L'interface ne répond plus : « grille-agent serve » est-il toujours lancé ? Vos saisies déjà enregistrées sont sur cet ordinateur.");
    });
  }

  function setText(id, text) {
    var node = document.getElementById(id);
    if (node && text !== undefined && text !== null) node.textContent = text;
  }

  // ---- Sync indicator -------------------------------------------------------------------------------

  var sync = document.getElementById("sync");
  var knownRevision = sync ? Number(sync.getAttribute("data-revision") || "0") : 0;

  function showStatus(status) {
    if (!sync || !status) return;
    sync.setAttribute("data-state", status.state || "unknown");
    setText("sync-label", status.label);
    setText("sync-pending", status.pending_label);
    setText("sync-last", status.last_sync_label);
    var error = document.getElementById("sync-error");
    var message = status.notice || status.error;
    if (error) {
      error.textContent = message || "";
      error.hidden = !message;
    }
    var button = document.getElementById("sync-now");
    if (button) button.disabled = !status.enrolled || !!status.syncing;
    var fresh = document.getElementById("sync-fresh");
    if (fresh && typeof status.revision === "number" && status.revision > knownRevision) fresh.hidden = false;
  }

  function poll() {
    fetch("/api/status", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(showStatus, function () {
        if (!sync) return;
        sync.setAttribute("data-state", "error");
        setText("sync-label", "Interface arrêtée : relancez « grille-agent serve »");
      });
  }
  if (sync) window.setInterval(poll, 3000);

  var reload = document.getElementById("sync-reload");
  if (reload) reload.addEventListener("click", function (event) { event.preventDefault(); window.location.reload(); });

  // ---- Grid status box ------------------------------------------------------------------------------

  function showGrid(grid) {
    if (!grid) return;
    var box = document.getElementById("grid-status");
    if (!box) return;
    box.className = "status-box st-" + grid.status;
    setText("gs-label", grid.status_label);
    var missing = document.getElementById("gs-missing");
    if (missing) missing.hidden = !(grid.missing && grid.missing.length);
    setText("gs-missing-list", (grid.missing || []).join(", "));
    fillList(document.getElementById("gs-blockers"), grid.blockers);
    var signing = document.getElementById("sign-blockers");
    if (signing) {
      fillList(signing.querySelector("ul"), grid.blockers);
      signing.hidden = !(grid.blockers && grid.blockers.length);
    }
  }

  function fillList(list, texts) {
    if (!list) return;
    list.textContent = "";
    (texts || []).forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    });
    list.hidden = !(texts && texts.length);
  }

  function answered(body) {
    if (body.status) showStatus(body.status);
    if (body.grid) showGrid(body.grid);
  }

  // ---- Forms ----------------------------------------------------------------------------------------

  function readFile(input) {
    return new Promise(function (resolve, reject) {
      var file = input.files && input.files[0];
      if (!file) { resolve(null); return; }
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result)); };
      reader.onerror = function () { reject(new Error("Fichier illisible : choisissez-le à nouveau.")); };
      reader.readAsText(file);
    });
  }

  function formData(form) {
    var data = {};
    var files = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!element.name && !element.getAttribute("data-into")) return;
      if (element.disabled) return;
      if (element.type === "file") { files.push(element); return; }
      if (element.type === "checkbox") { if (element.checked) data[element.name] = "true"; return; }
      if (element.type === "radio") { if (element.checked) data[element.name] = element.value; return; }
      if (element.tagName === "BUTTON") return;
      data[element.name] = element.value;
    });
    return Promise.all(files.map(function (input) {
      return readFile(input).then(function (text) {
        if (text !== null) data[input.getAttribute("data-into") || input.name] = text;
      });
    })).then(function () { return data; });
  }

  function message(form, text, failed) {
    var node = form.querySelector(".form-msg");
    if (!node) {
      if (failed) window.alert(text);
      return;
    }
    node.textContent = text || "";
    node.classList.toggle("failed", !!failed);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var api = form.getAttribute("data-api");
    if (!api) return;
    event.preventDefault();
    var buttons = form.querySelectorAll("button[type=submit]");
    Array.prototype.forEach.call(buttons, function (button) { button.disabled = true; });
    message(form, "Enregistrement…", false);
    formData(form).then(function (data) {
      delete data.csrf;
      delete data.back;
      return post(api, data);
    }).then(function (body) {
      answered(body);
      message(form, body.message, false);
      var after = form.getAttribute("data-after");
      if (after === "reload") window.location.reload();
      else if (after === "navigate" && body.location) window.location.assign(body.location);
    }, function (error) {
      message(form, error.message, true);
    }).then(function () {
      Array.prototype.forEach.call(buttons, function (button) { button.disabled = false; });
    });
  });

  // ---- Levels: one event per tick, keyboard ---------------------------------------------------------

  var table = document.querySelector("table.grille[data-grid]");
  var gridId = table ? table.getAttribute("data-grid") : null;

  function rowOf(criterion) {
    return document.getElementById("row-" + criterion);
  }

  function saveLevel(criterion, level) {
    var row = rowOf(criterion);
    if (!row) return;
    var previous = row.getAttribute("data-level") || "";
    var hadConflict = row.classList.contains("conflict") || row.classList.contains("prefilled");
    var note = row.querySelector(".row-msg");
    if (note) { note.textContent = "Enregistrement…"; note.classList.remove("failed"); }
    post("/api/grid/level", { grid: gridId, criterion: criterion, level: level }).then(function (body) {
      row.setAttribute("data-level", level);
      answered(body);
      if (note) note.textContent = body.message || "";
      var clear = row.querySelector(".clear-level");
      if (clear) clear.hidden = !level;
      if (!level) Array.prototype.forEach.call(row.querySelectorAll("input.lvl"), function (input) { input.checked = false; });
      if (hadConflict) window.location.reload();
    }, function (error) {
      // Refused: the page shows what is really stored again.
      Array.prototype.forEach.call(row.querySelectorAll("input.lvl"), function (input) { input.checked = input.value === previous; });
      if (note) { note.textContent = error.message; note.classList.add("failed"); }
    });
  }

  if (table && gridId) {
    table.addEventListener("change", function (event) {
      var input = event.target;
      if (!input.classList || !input.classList.contains("lvl")) return;
      saveLevel(input.getAttribute("data-criterion"), input.value);
    });
    table.addEventListener("keydown", function (event) {
      var input = event.target;
      if (!input.classList || !input.classList.contains("lvl") || input.disabled) return;
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var criterion = input.getAttribute("data-criterion");
      var row = rowOf(criterion);
      if (/^[1-9]$/.test(event.key)) {
        var target = row.querySelector('input.lvl[data-key="' + event.key + '"]');
        if (!target) return;
        event.preventDefault();
        target.focus();
        if (!target.checked) {
          target.checked = true;
          saveLevel(criterion, target.value);
        }
      } else if (event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        if (row.getAttribute("data-level")) saveLevel(criterion, "");
      }
    });
    table.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest(".clear-level") : null;
      if (!button) return;
      event.preventDefault();
      saveLevel(button.getAttribute("data-criterion"), "");
    });
  }

  // ---- Print ----------------------------------------------------------------------------------------

  Array.prototype.forEach.call(document.querySelectorAll('[data-action="print"]'), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();

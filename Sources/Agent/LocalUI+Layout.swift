import Foundation
import Shared
import Synchronization

/// The frame of every page (header with the sync indicator, navigation, main content), the indicator's
/// state, the error page and small formatting helpers. Every stored text goes through `HTML.escape`.
extension LocalUI {
    /// What the sync indicator shows, always visible at the top of every page and refreshed by the script
    /// from `/api/status`.
    struct Indicator: Sendable {
        var enrolled = false
        var server: String?
        var pending = 0
        var rejected = 0
        var lastSync: Int64?
        var online: Bool?
        var syncing = false
        var error: String?
        var notice: String?
        /// Grows when events arrive from the server: the page offers to reload.
        var revision: Int64 = 0

        /// `not_enrolled`, `syncing`, `offline`, `error`, `pending`, `synced` or `unknown`.
        var state: String {
            if !enrolled { return "not_enrolled" }
            if syncing { return "syncing" }
            if online == false { return "offline" }
            if error != nil { return "error" }
            if pending > 0 { return "pending" }
            return online == true ? "synced" : "unknown"
        }

        var label: String {
            switch state {
            case "not_enrolled": "Non inscrit : pas de synchronisation"
            case "syncing": "Synchronisation en cours…"
            case "offline": "Hors ligne"
            case "error": "Erreur de synchronisation"
            case "pending": "En ligne, envoi en attente"
            case "synced": "Synchronisé"
            default: "Connexion au serveur non vérifiée"
            }
        }

        var pendingLabel: String {
            pending == 0 ? "aucune saisie en attente" : pending == 1 ? "1 saisie en attente d'envoi" : "\(pending) saisies en attente d'envoi"
        }

        var lastSyncLabel: String {
            "dernière synchronisation : " + (lastSync.map { AgentCLI.formatTime($0) } ?? "jamais")
        }

        var json: JSONValue {
            [
                "enrolled": .bool(enrolled), "server": server.map { .string($0) } ?? .null,
                "state": .string(state), "label": .string(label),
                "pending": .int(Int64(pending)), "pending_label": .string(pendingLabel),
                "rejected": .int(Int64(rejected)),
                "last_sync": lastSync.map { .int($0) } ?? .null, "last_sync_label": .string(lastSyncLabel),
                "online": online.map { .bool($0) } ?? .null, "syncing": .bool(syncing),
                "error": error.map { .string($0) } ?? .null, "notice": notice.map { .string($0) } ?? .null,
                "revision": .int(revision),
            ]
        }
    }

    /// Reads the indicator from the store and the sync loop (call under `exclusive`).
    func indicator() throws -> Indicator {
        let store = try LocalStore(directory: options.dataDirectory, clock: options.clock)
        var indicator = Indicator()
        indicator.server = try store.setting(LocalStore.SyncKey.serverURL)
        let token = try LocalStore.readToken(directory: options.dataDirectory)
        indicator.enrolled = indicator.server != nil && token != nil
        indicator.pending = try store.pendingCount()
        indicator.rejected = try store.rejectedEvents().count
        indicator.lastSync = try store.intSetting(LocalStore.SyncKey.lastSync)
        indicator.revision = try store.db.scalarInt("SELECT coalesce(max(seqno), 0) FROM events WHERE origin = 'remote'") ?? 0
        let loop = sync.state.withLock { $0 }
        indicator.online = loop.online
        indicator.syncing = loop.syncing
        indicator.error = loop.lastError
        indicator.notice = loop.notice
        return indicator
    }

    func statusResponse() throws -> HTTPResponse {
        .json(try exclusive { try indicator() }.json)
    }

    func indicatorHTML(_ indicator: Indicator) -> String {
        let error = indicator.notice ?? indicator.error
        let rejected = indicator.rejected > 0
            ? " · <a href=\"/transferts#refusees\">\(indicator.rejected) saisie(s) refusée(s)</a>" : ""
        return """
            <div class="sync" id="sync" data-state="\(indicator.state)" data-revision="\(indicator.revision)">
            <span class="sync-dot" aria-hidden="true"></span>
            <p class="sync-text" role="status" aria-live="polite"><strong id="sync-label">\(esc(indicator.label))</strong> · <span id="sync-pending">\(esc(indicator.pendingLabel))</span> · <span id="sync-last">\(esc(indicator.lastSyncLabel))</span>\(rejected)</p>
            <form class="sync-form" method="post" action="/api/sync" data-api="/api/sync" data-after="sync">
            \(csrfField)<input type="hidden" name="back" value="/">
            <button type="submit" id="sync-now"\(indicator.enrolled ? "" : " disabled")>Synchroniser maintenant</button>
            </form>
            <p id="sync-error" class="sync-error" role="alert"\(error == nil ? " hidden" : "")>\(esc(error ?? ""))</p>
            <p id="sync-fresh" class="sync-fresh" hidden>Des saisies sont arrivées du serveur. <a href="" id="sync-reload">Recharger la page</a></p>
            </div>
            """
    }

    var csrfField: String { "<input type=\"hidden\" name=\"csrf\" value=\"\(csrfToken)\">" }

    /// A whole page: header (brand, identity, navigation, sync indicator), then `main`. Never call it
    /// under `exclusive` without `indicator` (it would read the store again).
    func page(title: String, main: String, current: String? = nil, identity: String? = nil, status: Int = 200,
              bodyClass: String = "", indicator known: Indicator? = nil) -> HTTPResponse {
        let indicator = known ?? (try? exclusive { try self.indicator() }) ?? Indicator()
        let links = [("/", "Mes commissions"), ("/transferts", "Clé USB et reçus"), ("/inscription", "Inscription")]
        let nav = links.map { href, label in
            "<li><a href=\"\(href)\"\(current == href ? " aria-current=\"page\"" : "")>\(label)</a></li>"
        }.joined()
        let html = """
            <!DOCTYPE html>
            <html lang="fr">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="grille-csrf" content="\(csrfToken)">
            <title>\(esc(title)) — Grille</title>
            <link rel="stylesheet" href="/static/app.css">
            <script src="/static/app.js" defer></script>
            </head>
            <body class="\(esc(bodyClass))">
            <a class="skip" href="#main">Aller au contenu</a>
            <header class="top">
            <div class="brand"><a href="/">Grille</a><span class="who">\(esc(identity ?? ""))</span></div>
            <nav aria-label="Navigation principale"><ul>\(nav)</ul></nav>
            \(indicatorHTML(indicator))
            </header>
            <main id="main" tabindex="-1">
            \(main)
            </main>
            <footer class="foot">Grille \(Grille.version) — interface locale, sur cet ordinateur seulement (127.0.0.1:\(port)).</footer>
            </body>
            </html>
            """
        return HTTPResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
    }

    /// A refusal as an HTML page (the same French message and status as the JSON answer).
    func errorPage(_ failure: LocalUIError, request: HTTPRequest) -> HTTPResponse {
        let main = """
            <h1>\(failure.status == 403 ? "Accès refusé" : failure.status == 404 ? "Page introuvable" : "Demande refusée")</h1>
            <p class="alert" role="alert">\(esc(failure.message))</p>
            <p><a href="/">Revenir à l'accueil</a></p>
            """
        if failure.status == 403 {
            // No session (or a foreign page): show nothing of the data, not even the indicator.
            let html = """
                <!DOCTYPE html>
                <html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>Accès refusé — Grille</title><link rel="stylesheet" href="/static/app.css"></head>
                <body><main id="main">\(main)</main></body></html>
                """
            return HTTPResponse(status: 403, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
        }
        return page(title: "Erreur", main: main, status: failure.status)
    }

    /// A redirect for GET pages (to the enrollment page, to a new grid).
    func redirect(_ location: String) -> HTTPResponse {
        HTTPResponse(status: 303, headers: [("Location", location)])
    }

    /// A write's answer: the CLI's message, plus whatever the page needs.
    func done(_ message: String, _ extra: [String: JSONValue] = [:]) -> HTTPResponse {
        var object = extra
        object["ok"] = true
        object["message"] = .string(message)
        return .json(.object(object))
    }
}

/// Shorthand for `HTML.escape`.
func esc(_ text: String) -> String { HTML.escape(text) }

/// A query value in a URL.
func urlQuery(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~/")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
}

extension Roster {
    /// « LAMBERT Claire », or the id when the evaluator is unknown.
    func displayName(_ id: String) -> String {
        evaluator(id).map { "\($0.lastName.uppercased()) \($0.firstName)" } ?? id
    }
}

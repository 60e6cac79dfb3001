import Foundation
import Shared

/// Quarantine, devices (with revocation: `ServerStore.revoke`, as `grille-server revoke`), the session's
/// state (deliberate and publish: `ServerStore.setSessionState`, as `grille-server session`), the
/// exports, the printable V-4 grid and the JSON report.
extension Dashboard {
    // MARK: - Quarantine

    static func quarantinePage(_ context: DashboardContext) throws -> HTTPResponse {
        let store = context.store
        let session = context.selectedSession
        let scope = try context.selectedEstablishment()
        let items = try store.quarantine().filter { item in
            guard context.user.mayAccess(entity: item.event.entity, store: store) else { return false }
            if let scope, let grid = GridID(entity: item.event.entity) ?? conformityGrid(item.event.entity),
               store.roster.candidate(grid.candidate)?.establishment != scope { return false }
            return item.event.entity.contains("/\(session)/")
        }
        var body = "<p class=\"lead\">Saisies reçues mais mises de côté, sans rien modifier : évaluateur hors de la commission du candidat, ou saisie arrivée après la délibération de la session.</p>\n"
        if items.isEmpty {
            body += "<p class=\"empty\">Quarantaine vide pour la session \(L.esc(session)).</p>\n"
        } else {
            body += """
                <div class="table-wrap"><table>
                <caption>\(items.count) saisie\(items.count > 1 ? "s" : "") en quarantaine</caption>
                <thead><tr><th scope="col">Reçue le</th><th scope="col">Auteur</th><th scope="col">Ordinateur</th><th scope="col">Candidat</th><th scope="col">Champ</th><th scope="col">Valeur</th><th scope="col">Motif</th></tr></thead>
                <tbody>

                """
            for item in items {
                let event = item.event
                let value = event.value.stringValue ?? event.value.canonicalString
                let grid = GridID(entity: event.entity)
                let candidateNumber = grid?.candidate ?? conformityGrid(event.entity)?.candidate
                let candidate = candidateNumber.flatMap { store.roster.candidate($0) }
                let label = "\(L.candidateName(candidate)) (\(candidateNumber ?? "?"))"
                let where_ = grid.map { L.gridLink($0.entity, label: label) } ?? L.esc(label)
                body += "<tr><td>\(L.esc(L.time(item.at, store)))</td><td>\(L.esc(L.personName(store.roster.evaluator(event.author))))</td>"
                body += "<td><code>\(L.esc(item.device))</code></td><td>\(where_)</td><td><code>\(L.esc(event.field))</code></td>"
                body += "<td>\(L.esc(String(value.prefix(200))))</td><td>\(L.esc(item.reason))</td></tr>\n"
            }
            body += "</tbody></table></div>\n"
        }
        return L.page(context, title: "Quarantaine", active: "/dashboard/quarantine", body: body)
    }

    /// `conformity/<session>/<candidate>/<template>` read as the final grid it concerns.
    static func conformityGrid(_ entity: String) -> GridID? {
        let parts = entity.split(separator: "/").map(String.init)
        guard parts.count == 4, parts[0] == "conformity" else { return nil }
        return GridID(template: parts[3], session: parts[1], candidate: parts[2], situation: "final")
    }

    // MARK: - Devices

    static func devicesPage(_ context: DashboardContext) throws -> HTTPResponse {
        let store = context.store
        let report = try context.report([.devices])
        let notice = context.query["ok"] == "revoked"
            ? "Ordinateur révoqué : à sa prochaine connexion, il enregistre ses saisies non envoyées dans un fichier puis efface les données de l'académie." : nil
        var body = "<p class=\"lead\">Ordinateurs inscrits des évaluateurs de \(L.esc(scopeLabel(report, store))) : dernière synchronisation, décalage d'horloge mesuré, conflits ouverts de la session \(L.esc(report.session)), saisies refusées ou en quarantaine. Révoquez un ordinateur perdu ou volé.</p>\n"
        if report.devices.isEmpty {
            body += "<p class=\"empty\">Aucun ordinateur inscrit.</p>\n"
        } else {
            body += """
                <div class="table-wrap"><table>
                <caption>Ordinateurs (\(report.devices.count))</caption>
                <thead><tr><th scope="col">Ordinateur</th><th scope="col">Évaluateur</th><th scope="col">Dernière synchronisation</th><th scope="col">Décalage d'horloge</th><th scope="col">Conflits ouverts</th><th scope="col">Saisies refusées</th><th scope="col">En quarantaine</th><th scope="col">État</th><th scope="col">Action</th></tr></thead>
                <tbody>

                """
            for line in report.devices {
                let device = line.device
                let name = "\(L.personName(line.evaluator)) (\(device.evaluator))"
                var action = "—"
                var state = "actif"
                if let revoked = device.revokedAt {
                    state = "révoqué le \(L.time(revoked, store))"
                } else {
                    let checkbox = "confirm-\(L.queryEncode(device.id))"
                    action = """
                        <form method="post" action="/dashboard/revoke" class="inline">\(L.hidden("csrf", context.session.csrf))\(L.hidden("device", device.id))\
                        <input type="checkbox" id="\(L.esc(checkbox))" name="confirm" value="yes" required> <label for="\(L.esc(checkbox))">confirmer</label> \
                        <button type="submit" class="danger">Révoquer</button></form>
                        """
                }
                body += "<tr><th scope=\"row\"><code>\(L.esc(device.id))</code></th><td>\(L.esc(name))</td><td>\(L.esc(L.time(device.lastSeen, store)))</td>"
                body += "<td class=\"num\">\(L.esc(device.clockOffset.map(ReportText.offset) ?? "—"))</td><td class=\"num\">\(line.conflicts)</td>"
                body += "<td class=\"num\">\(line.rejected)</td><td class=\"num\">\(line.quarantined)</td><td>\(L.esc(state))</td><td>\(action)</td></tr>\n"
            }
            body += "</tbody></table></div>\n"
        }
        return L.page(context, title: "Ordinateurs", active: "/dashboard/devices", notice: notice, body: body)
    }

    /// POST /dashboard/revoke: `device`, `confirm=yes`. A coordinator revokes only the devices of their
    /// establishment's evaluators.
    static func revoke(_ context: DashboardContext) throws -> HTTPResponse {
        let store = context.store
        let id = context.form["device"] ?? ""
        guard let device = try store.device(id) else { throw ServerError(404, "unknown_device", "Ordinateur inconnu « \(id) ».") }
        guard context.user.mayAccess(establishment: store.roster.evaluator(device.evaluator)?.establishment) else {
            throw ServerError(403, "forbidden", "Cet ordinateur n'appartient pas à un évaluateur de votre établissement : révocation refusée.")
        }
        guard context.form["confirm"] == "yes" else {
            throw ServerError.user("Cochez « confirmer » pour révoquer l'ordinateur \(id).")
        }
        try store.revoke(device: id, by: context.user.id)
        return redirect("/dashboard/devices?ok=revoked")
    }

    // MARK: - Session

    static func sessionPage(_ context: DashboardContext) throws -> HTTPResponse {
        let store = context.store
        let notice: String? = switch context.query["ok"] {
        case "deliberated": "Session délibérée : les grilles sont figées ; toute saisie reçue ensuite ira en quarantaine."
        case "published": "Session publiée : les fiches d'évaluation (V-5) peuvent être remises aux candidats qui les demandent."
        default: nil
        }
        var body = """
            <p class="lead">Ouverte → délibérée (les grilles sont figées) → publiée (après l'envoi du relevé de notes). Seul un coordonnateur académique délibère ou publie.</p>
            <div class="table-wrap"><table>
            <caption>Sessions de la liste</caption>
            <thead><tr><th scope="col">Session</th><th scope="col">État</th><th scope="col">Conservation jusqu'au</th><th scope="col">Action</th></tr></thead>
            <tbody>

            """
        for session in Set(context.sessions + [context.selectedSession]).sorted(by: >) {
            let purged = try store.isPurged(session)
            let state = try GridLoader.sessionState(session, in: store.db)
            var action = "—"
            if context.user.isAcademy && !purged && state != .published {
                let next: (value: String, label: String) = state == .open ? ("deliberate", "Délibérer la session \(session)") : ("publish", "Publier la session \(session)")
                let checkbox = "confirm-\(session)"
                action = """
                    <form method="post" action="/dashboard/session" class="inline">\(L.hidden("csrf", context.session.csrf))\(L.hidden("session", session))\(L.hidden("action", next.value))\
                    <input type="checkbox" id="\(checkbox)" name="confirm" value="yes" required> <label for="\(checkbox)">confirmer</label> \
                    <button type="submit">\(L.esc(next.label))</button></form>
                    """
            }
            body += "<tr><th scope=\"row\">\(L.esc(session))</th><td>\(L.esc(purged ? "purgée" : state.label))</td>"
            body += "<td>\(L.esc(try store.retentionDate(session)))</td><td>\(action)</td></tr>\n"
        }
        body += "</tbody></table></div>\n"
        if !context.user.isAcademy {
            body += "<p class=\"hint\">La délibération et la publication sont réservées au coordonnateur académique.</p>\n"
        }
        return L.page(context, title: "Session", active: "/dashboard/session", filters: false, notice: notice, body: body)
    }

    /// POST /dashboard/session: `session`, `action` (`deliberate` or `publish`), `confirm=yes`; academy only.
    static func changeSession(_ context: DashboardContext) throws -> HTTPResponse {
        guard context.user.isAcademy else {
            throw ServerError(403, "forbidden", "Seul un coordonnateur académique (rôle academy) délibère ou publie une session.")
        }
        let session = context.form["session"] ?? ""
        let state: SessionState
        switch context.form["action"] {
        case "deliberate": state = .deliberated
        case "publish": state = .published
        default: throw ServerError.user("Action inconnue : délibérer ou publier.")
        }
        guard context.form["confirm"] == "yes" else { throw ServerError.user("Cochez « confirmer » pour changer l'état de la session.") }
        try context.store.setSessionState(session, to: state, by: context.user.id)
        return redirect("/dashboard/session?ok=\(state.rawValue)")
    }

    // MARK: - Exports

    static let csvParts: [(part: String, label: String)] = [
        ("notes-candidates", "Notes par candidat (proposée, harmonisée, retenue)"),
        ("candidates", "Avancement par établissement"),
        ("criteria", "Niveaux par critère"),
        ("notes", "Statistiques des notes par établissement"),
        ("profiles", "Profils et grilles signalées"),
        ("devices", "Ordinateurs"),
    ]

    static func exportsPage(_ context: DashboardContext) throws -> HTTPResponse {
        let session = context.selectedSession
        let scope = try context.selectedEstablishment()
        var query = "session=\(session)"
        if let scope { query += "&establishment=\(scope)" }
        var body = "<p class=\"lead\">Fichiers CSV au format Excel français (séparateur « ; », virgule décimale), session \(L.esc(session)), \(L.esc(scope.map { L.establishmentName($0, context.store) } ?? "toute l'académie")). Réservés aux coordonnateurs : aucun n'est destiné à un candidat.</p>\n<ul class=\"downloads\">\n"
        for item in csvParts {
            body += "<li><a href=\"/dashboard/export.csv?part=\(item.part)&amp;\(L.esc(query))\" download>\(L.esc(item.label))</a></li>\n"
        }
        body += "</ul>\n<h2>Données JSON</h2>\n<ul class=\"downloads\">\n"
        for part in AcademyReport.Part.allCases {
            body += "<li><a href=\"/dashboard/api/report?part=\(part.rawValue)&amp;\(L.esc(query))\"><code>\(part.rawValue)</code></a></li>\n"
        }
        body += "</ul>\n"
        return L.page(context, title: "Exports", active: "/dashboard/exports", body: body)
    }

    /// GET /dashboard/export.csv?part=…: one CSV of the coordinator's scope, as an attachment.
    static func exportCSV(_ context: DashboardContext) throws -> HTTPResponse {
        let store = context.store
        let session = context.selectedSession
        let scope = try context.selectedEstablishment()
        let part = context.query["part"] ?? ""
        let text: String
        if part == "notes-candidates" {
            guard try !store.isPurged(session) else { throw ServerError.user("Session \(session) purgée : plus aucune note.") }
            let lines = try NotesExport.lines(store: store, session: session).filter { scope == nil || $0.establishment == scope }
            text = NotesExport.csv(lines, excel: true)
            try store.db.write {
                try store.audit("export notes", by: context.user.id, detail: "tableau de bord : \(lines.count) lignes\(scope.map { " (\($0))" } ?? "")", session: session)
            }
        } else if let reportPart = AcademyReport.Part(rawValue: part), reportPart != .academy {
            text = try context.report([reportPart]).csv(reportPart)
        } else {
            throw ServerError(404, "unknown_export", "Export inconnu « \(part) ».")
        }
        let name = "grille-\(part)-\(session)\(scope.map { "-\($0)" } ?? "").csv"
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/csv; charset=utf-8"), ("Content-Disposition", "attachment; filename=\"\(name)\"")],
                            body: Array(text.utf8))
    }

    /// GET /dashboard/api/report?part=…: the report JSON (`report --json`) of the coordinator's scope.
    static func reportJSON(_ context: DashboardContext) throws -> HTTPResponse {
        guard let part = AcademyReport.Part(rawValue: context.query["part"] ?? "academy") else {
            throw ServerError(404, "unknown_report", "Rapport inconnu : academy, candidates, criteria, notes, profiles ou devices.")
        }
        return .json(try context.report([part]).json(part))
    }

    /// GET /dashboard/grid/print?id=…: the V-4 grid as `grille-server print grid` writes it (A4).
    static func printGrid(_ context: DashboardContext) throws -> HTTPResponse {
        let id = try accessibleGrid(context.query["id"], context)
        let candidate = context.store.roster.candidate(id.candidate)
        let html = try GridPrinter(store: context.store).gridDocument([id], title: "Grille V-4 — \(L.candidateName(candidate))")
        // The printed document carries its own style sheet inline, and no script.
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8"),
                                                   ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")],
                            body: Array(html.utf8))
    }
}

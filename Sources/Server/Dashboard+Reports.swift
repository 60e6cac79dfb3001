import Foundation
import Shared

/// The pages built from the academy report (`ReportBuilder`, the same aggregates as `grille-server
/// report`): overview, criteria, notes, profiles. An establishment coordinator's report is limited to
/// their establishment; the academy's totals and profiles are aggregates and shown to everyone.
extension Dashboard {
    typealias L = DashboardLayout

    static func epreuveHeading(_ epreuve: AcademyReport.Epreuve) -> String {
        "<h2>\(L.esc(epreuve.template.diploma)) \(L.esc(epreuve.template.epreuve)) — \(L.esc(epreuve.template.title))</h2>\n"
    }

    static func noEpreuve(_ report: AcademyReport) -> String {
        "<p class=\"empty\">Aucune commission pour la session \(L.esc(report.session)).</p>\n"
    }

    static func scopeLabel(_ report: AcademyReport, _ store: ServerStore) -> String {
        report.establishment.map { L.establishmentName($0, store) } ?? "toute l'académie"
    }

    // MARK: - Overview

    static func overviewPage(_ context: DashboardContext) throws -> HTTPResponse {
        let store = context.store
        let report = try context.report([.candidates])
        let state = try GridLoader.sessionState(report.session, in: store.db)
        let purged = try store.isPurged(report.session)
        var body = """
            <section class="cards" aria-label="Résumé">
            <p class="card"><span class="card-label">Session \(L.esc(report.session))</span> <strong>\(L.esc(purged ? "purgée" : state.label))</strong></p>
            <p class="card"><span class="card-label">Périmètre</span> <strong>\(L.esc(scopeLabel(report, store)))</strong></p>
            <p class="card"><span class="card-label">Mis à jour</span> <strong>\(L.esc(L.time(report.generatedAt, store)))</strong></p>
            </section>

            """
        if report.epreuves.isEmpty { body += noEpreuve(report) }
        let palette: [(label: String, fill: String, text: String)] = [
            ("Complets", "#1f7a4d", "#ffffff"), ("Restants", "#dfe6ee", "#1e293b"), ("NV", "#b45309", "#ffffff"), ("AB", "#64748b", "#ffffff"),
        ]
        for epreuve in report.epreuves {
            body += "<section class=\"epreuve\">\n" + epreuveHeading(epreuve)
            func row(_ label: String, _ c: AcademyReport.CandidateCounts, emphasis: Bool = false) -> DashboardChart.Row {
                let values = [c.complete, c.missing, c.nv, c.absent]
                return DashboardChart.Row(label: label, segments: zip(palette, values).map {
                    DashboardChart.Segment(label: $0.0.label, value: $0.1, fill: $0.0.fill, text: $0.0.text)
                }, emphasis: emphasis)
            }
            var rows = epreuve.establishments.map { row($0.name, epreuve.candidates.byEstablishment[$0.uai] ?? .init()) }
            rows.append(row("Académie (total)", epreuve.candidates.academy, emphasis: true))
            body += "<figure>\n" + DashboardChart.stackedBars(title: "Avancement des candidats, \(epreuve.template.epreuve)", rows: rows,
                                                             legend: palette.map { ($0.label, $0.fill) })
            body += "<figcaption>Complets : chaque membre de la commission a une signature valide sur la grille finale. Restants : ni NV ni AB, grille finale pas encore complète.</figcaption></figure>\n"
            body += """
                <div class="table-wrap"><table>
                <caption>Candidats par établissement — \(L.esc(epreuve.template.epreuve))</caption>
                <thead><tr><th scope="col">Établissement</th><th scope="col">Inscrits</th><th scope="col">Conformes</th><th scope="col">NV</th><th scope="col">AB</th><th scope="col">Conformité non saisie</th><th scope="col">Commencés</th><th scope="col">Complets</th><th scope="col">À re-signer</th><th scope="col">Restants</th></tr></thead>
                <tbody>

                """
            func cells(_ c: AcademyReport.CandidateCounts) -> String {
                [c.enrolled, c.conforming, c.nv, c.absent, c.unrecorded, c.started, c.complete, c.toResign, c.missing]
                    .map { "<td class=\"num\">\($0)</td>" }.joined()
            }
            for e in epreuve.establishments {
                let link = "<a href=\"/dashboard/grids?session=\(L.esc(report.session))&amp;establishment=\(L.esc(e.uai))\">\(L.esc(e.name))</a>"
                body += "<tr><th scope=\"row\">\(link) <span class=\"uai\">\(L.esc(e.uai))</span></th>\(cells(epreuve.candidates.byEstablishment[e.uai] ?? .init()))</tr>\n"
            }
            body += "<tr class=\"total\"><th scope=\"row\">Académie (total)</th>\(cells(epreuve.candidates.academy))</tr>\n"
            body += "</tbody></table></div>\n</section>\n"
        }
        return L.page(context, title: "Vue d'ensemble", active: "/dashboard", body: body)
    }

    // MARK: - Criteria

    static func criteriaPage(_ context: DashboardContext) throws -> HTTPResponse {
        let report = try context.report([.criteria])
        var body = "<p class=\"lead\">Répartition des niveaux cochés sur les grilles finales des candidats évalués (ni NV ni AB), critère par critère : académie et \(L.esc(report.establishment == nil ? "chaque établissement" : "votre établissement")).</p>\n"
        if report.epreuves.isEmpty { body += noEpreuve(report) }
        for epreuve in report.epreuves {
            body += "<section class=\"epreuve\">\n" + epreuveHeading(epreuve)
            let scale = epreuve.template.scale
            let legend = scale.enumerated().map { index, level in
                (label: "\(level.code) — \(level.label)", fill: DashboardChart.levelColours(scale.count, index: index).fill)
            }
            var currentBlock = ""
            for line in epreuve.criteria {
                if line.block.id != currentBlock {
                    currentBlock = line.block.id
                    body += "<h3>\(L.esc(line.block.label))</h3>\n"
                }
                func row(_ label: String, _ counts: AcademyReport.LevelCounts, emphasis: Bool = false) -> DashboardChart.Row {
                    DashboardChart.Row(label: label, segments: scale.enumerated().map { index, level in
                        let colours = DashboardChart.levelColours(scale.count, index: index)
                        return DashboardChart.Segment(label: level.code, value: counts.counts[level.code] ?? 0, fill: colours.fill, text: colours.text)
                    }, emphasis: emphasis)
                }
                var rows = [row("Académie", line.academy, emphasis: true)]
                rows += epreuve.establishments.map { row($0.name, line.byEstablishment[$0.uai] ?? .init()) }
                body += "<figure class=\"criterion\">\n<figcaption><strong>\(L.esc(line.criterion.id))</strong> \(L.esc(line.criterion.label))</figcaption>\n"
                body += DashboardChart.stackedBars(title: "\(line.criterion.id) — \(line.criterion.label)", rows: rows, legend: legend)
                body += "</figure>\n"
            }
            body += criteriaTable(epreuve)
            body += "</section>\n"
        }
        return L.page(context, title: "Niveaux par critère", active: "/dashboard/criteria", body: body)
    }

    static func criteriaTable(_ epreuve: AcademyReport.Epreuve) -> String {
        let codes = epreuve.template.scale.map(\.code)
        var table = """
            <details><summary>Tableau des effectifs (\(L.esc(epreuve.template.epreuve)))</summary>
            <div class="table-wrap"><table>
            <caption>Effectifs et pourcentages par critère</caption>
            <thead><tr><th scope="col">Critère</th><th scope="col">Périmètre</th>\(codes.map { "<th scope=\"col\">\(L.esc($0))</th>" }.joined())<th scope="col">Total</th></tr></thead>
            <tbody>

            """
        for line in epreuve.criteria {
            func row(_ label: String, _ counts: AcademyReport.LevelCounts) -> String {
                "<tr><th scope=\"row\">\(L.esc(line.criterion.id))</th><td>\(L.esc(label))</td>"
                    + codes.map { "<td class=\"num\">\(counts.counts[$0] ?? 0) (\(Fixed.french(counts.percent($0), digits: 1)) %)</td>" }.joined()
                    + "<td class=\"num\">\(counts.total)</td></tr>\n"
            }
            table += row("Académie", line.academy)
            for e in epreuve.establishments { table += row(e.name, line.byEstablishment[e.uai] ?? .init()) }
        }
        return table + "</tbody></table></div></details>\n"
    }

    // MARK: - Notes

    static func notesPage(_ context: DashboardContext) throws -> HTTPResponse {
        let store = context.store
        let report = try context.report([.notes])
        var body = "<p class=\"lead\">Notes retenues : la note harmonisée quand un coordonnateur a harmonisé, sinon la note proposée par le jury.</p>\n"
        if report.epreuves.isEmpty { body += noEpreuve(report) }
        for epreuve in report.epreuves {
            guard let scale = epreuve.template.note else { continue }
            let notes = epreuve.notes
            body += "<section class=\"epreuve\">\n" + epreuveHeading(epreuve)
            let scope = report.establishment.flatMap { notes.byEstablishment[$0] } ?? notes.academy
            var marks: [(label: String, value: Double, colour: String)] = []
            if let mean = scope.retained.mean {
                marks.append(("moyenne \(report.establishment == nil ? "académique" : "de l'établissement") \(Fixed.french(mean))", mean, "#1e293b"))
            }
            if report.establishment != nil, let mean = notes.academy.retained.mean {
                marks.append(("moyenne académique \(Fixed.french(mean))", mean, "#b45309"))
            }
            let maxPoints = Int(scale.max.rounded(.down))
            body += "<figure>\n" + DashboardChart.histogram(
                title: "Notes retenues, \(scopeLabel(report, store)) (\(scope.retained.n) grilles)",
                buckets: scope.retained.histogram(maxPoints: maxPoints), marks: marks, axisLabel: "note sur \(Fixed.french(scale.max, digits: 0)) (de k à k + 0,5)")
            body += "<figcaption>Histogramme des notes retenues, \(L.esc(scopeLabel(report, store))) : nombre de grilles par point.</figcaption></figure>\n"
            let rows = epreuve.establishments.map { e in
                (label: e.name, mean: notes.byEstablishment[e.uai]?.retained.mean, n: notes.byEstablishment[e.uai]?.retained.n ?? 0)
            }
            if let academyMean = notes.academy.retained.mean {
                body += "<figure>\n" + DashboardChart.meanBars(title: "Moyenne des notes retenues par établissement", rows: rows, maximum: scale.max,
                                                               reference: ("moyenne académique \(Fixed.french(academyMean))", academyMean))
                body += "<figcaption>Moyenne des notes retenues par établissement ; le trait pointillé marque la moyenne académique.</figcaption></figure>\n"
            }
            body += """
                <div class="table-wrap"><table>
                <caption>Notes par établissement — \(L.esc(epreuve.template.epreuve))</caption>
                <thead><tr><th scope="col">Établissement</th><th scope="col">Notes</th><th scope="col">Moyenne proposée</th><th scope="col">Moyenne retenue</th><th scope="col">Médiane</th><th scope="col">Écart-type</th><th scope="col">Min</th><th scope="col">Max</th><th scope="col">Harmonisées</th><th scope="col">Écart moyen d'harmonisation</th></tr></thead>
                <tbody>

                """
            func cells(_ s: AcademyReport.NoteSummary) -> String {
                let shift = s.harmonisedWithProposal == 0 ? "—"
                    : (s.harmonisedShift >= 0 ? "+" : "") + Fixed.french(Double(s.harmonisedShift) / 2 / Double(s.harmonisedWithProposal))
                return [String(s.retained.n), L.decimal(s.proposed.mean), L.decimal(s.retained.mean), L.decimal(s.retained.median),
                        L.decimal(s.retained.standardDeviation), L.note(s.retained.min), L.note(s.retained.max), String(s.harmonised), shift]
                    .map { "<td class=\"num\">\(L.esc($0))</td>" }.joined()
            }
            for e in epreuve.establishments {
                body += "<tr><th scope=\"row\">\(L.esc(e.name))</th>\(cells(notes.byEstablishment[e.uai] ?? .init()))</tr>\n"
            }
            body += "<tr class=\"total\"><th scope=\"row\">Académie</th>\(cells(notes.academy))</tr>\n"
            body += "</tbody></table></div>\n</section>\n"
        }
        return L.page(context, title: "Notes", active: "/dashboard/notes", body: body)
    }

    // MARK: - Profiles

    static func profilesPage(_ context: DashboardContext) throws -> HTTPResponse {
        let store = context.store
        let report = try context.report([.profiles])
        var body = "<p class=\"lead\">\(L.esc(AcademyReport.ProfileTable.rule))</p>\n"
        if report.epreuves.isEmpty { body += noEpreuve(report) }
        for epreuve in report.epreuves where epreuve.template.note != nil {
            let table = epreuve.profiles
            let codes = table.codes
            body += "<section class=\"epreuve\">\n" + epreuveHeading(epreuve)
            body += "<h3>Grilles signalées</h3>\n"
            if table.flagged.isEmpty {
                body += "<p class=\"empty\">Aucune grille signalée (\(L.esc(scopeLabel(report, store)))).</p>\n"
            } else {
                body += """
                    <div class="table-wrap"><table>
                    <caption>Grilles dont la note proposée s'écarte des profils comparables</caption>
                    <thead><tr><th scope="col">Candidat</th><th scope="col">Établissement</th><th scope="col">Profil (\(L.esc(codes.joined(separator: "-"))))</th><th scope="col">Note proposée</th><th scope="col">Grilles de référence</th><th scope="col">Médiane de référence</th><th scope="col">Min – max</th></tr></thead>
                    <tbody>

                    """
                for flag in table.flagged {
                    let candidate = store.roster.candidate(flag.candidate)
                    body += "<tr><th scope=\"row\">\(L.gridLink(flag.grid, label: "\(L.candidateName(candidate)) (\(flag.candidate))"))</th>"
                    body += "<td>\(L.esc(L.establishmentName(flag.establishment, store)))</td>"
                    body += "<td class=\"num\">\(L.esc(flag.profile.counts.map(String.init).joined(separator: "-")))</td>"
                    body += "<td class=\"num\">\(L.esc(L.note(flag.note)))</td><td class=\"num\">\(flag.reference.n)</td>"
                    body += "<td class=\"num\">\(L.esc(L.decimal(flag.reference.median)))</td>"
                    body += "<td class=\"num\">\(L.esc(L.note(flag.reference.min))) – \(L.esc(L.note(flag.reference.max)))</td></tr>\n"
                }
                body += "</tbody></table></div>\n"
            }
            body += "<h3>Notes proposées par profil (toute l'académie)</h3>\n"
            if table.lines.isEmpty {
                body += "<p class=\"empty\">Aucune grille finale complète avec une note.</p>\n"
            } else {
                body += """
                    <div class="table-wrap"><table>
                    <caption>Un profil compte les critères requis à chaque niveau (\(L.esc(codes.joined(separator: ", "))))</caption>
                    <thead><tr>\(codes.map { "<th scope=\"col\">\(L.esc($0))</th>" }.joined())<th scope="col">Grilles</th><th scope="col">Min</th><th scope="col">Médiane</th><th scope="col">Max</th></tr></thead>
                    <tbody>

                    """
                for line in table.lines {
                    body += "<tr>" + line.profile.counts.map { "<td class=\"num\">\($0)</td>" }.joined()
                    body += "<td class=\"num\">\(line.notes.n)</td><td class=\"num\">\(L.esc(L.note(line.notes.min)))</td>"
                    body += "<td class=\"num\">\(L.esc(L.decimal(line.notes.median)))</td><td class=\"num\">\(L.esc(L.note(line.notes.max)))</td></tr>\n"
                }
                body += "</tbody></table></div>\n"
            }
            body += "</section>\n"
        }
        return L.page(context, title: "Profils et notes", active: "/dashboard/profiles", body: body)
    }
}

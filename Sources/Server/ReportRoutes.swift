import Foundation
import Shared

/// `GET /v1/reports/<name>?session=&establishment=&template=`: the report of `report NAME --json`, for the
/// coordinators' dashboard (docs/REPORTS.md). For now a coordinator authenticates with the Bearer token of
/// one of their enrolled devices: role `academy` sees the academy and any establishment; role
/// `coordinator` sees the academy-wide aggregates and only their own establishment's detail; anyone else
/// is refused (403 `forbidden`).
enum ReportRoutes {
    static func add(to router: inout Router, core: ServerCore) {
        for part in AcademyReport.Part.allCases {
            router.add("GET", "/v1/reports/\(part.rawValue)") { request in
                try core.run { store in
                    let device = try ServerRoutes.authenticate(request, store: store)
                    let scope = try scope(for: device, query: request.query, store: store)
                    let report = try ReportBuilder(store: store).build(scope, parts: [part])
                    return ServerRoutes.tagged(.json(report.json(part)), device: device)
                }
            }
        }
    }

    /// Who may see what: the establishment a report is limited to, checked against the device's evaluator.
    static func scope(for device: Device, query: [String: String], store: ServerStore) throws -> ReportBuilder.Scope {
        guard let evaluator = store.roster.evaluator(device.evaluator), evaluator.role == .coordinator || evaluator.role == .academy else {
            throw ServerError(403, "forbidden", "Les rapports sont réservés aux coordonnateurs.")
        }
        var establishment = query["establishment"].map { $0.uppercased() }
        if evaluator.role == .coordinator {
            guard let own = evaluator.establishment else { throw ServerError(403, "forbidden", "Coordonnateur sans établissement.") }
            if let asked = establishment, asked != own {
                throw ServerError(403, "forbidden", "Un coordonnateur d'établissement ne voit que son établissement (\(own)).")
            }
            establishment = own
        }
        if let session = query["session"], !(session.count == 4 && session.allSatisfy(\.isNumber)) {
            throw ServerError(400, "bad_request", "Paramètre « session » invalide : une année, par exemple 2026.")
        }
        guard let session = query["session"] ?? ReportBuilder.defaultSession(store.roster) else {
            throw ServerError(404, "no_session", "Aucune commission dans la liste importée.")
        }
        return ReportBuilder.Scope(session: session, establishment: establishment, template: query["template"])
    }
}

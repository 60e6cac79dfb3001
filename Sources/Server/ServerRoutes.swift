import Foundation
import Shared

/// The HTTP endpoints of docs/PROTOCOL.md, "Sync endpoints".
enum ServerRoutes {
    static func router(core: ServerCore) -> Router {
        var router = Router()
        router.add("GET", "/v1/health") { _ in
            try core.run { store in
                .json(["status": "ok", "protocol": .int(SyncProtocol.version), "epoch": .string(store.epoch),
                       "academy": .string(store.academy), "server_time": .int(store.clock.nowMilliseconds())])
            }
        }
        router.add("GET", "/v1/templates") { _ in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let templates = try core.run { $0.catalog.templates }
            let data = try encoder.encode(TemplatesDocument(protocolVersion: 1, templates: templates))
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json; charset=utf-8")], body: Array(data))
        }
        router.add("POST", "/v1/enroll") { request in
            let body = try decode(request) { json throws(WireError) in try EnrollRequest(json: json) }
            return .json(try core.run { try $0.enroll(body) }.json)
        }
        router.add("POST", "/v1/sync/push") { request in
            let push = try decode(request) { json throws(WireError) in try PushRequest(json: json) }
            return try core.run { store in
                let device = try authenticate(request, store: store)
                return tagged(.json(try store.push(push, from: device).json), device: device)
            }
        }
        router.add("GET", "/v1/sync/pull") { request in
            let after = try integer(request.query["after"] ?? "0", name: "after")
            let limit = try integer(request.query["limit"] ?? String(SyncProtocol.defaultPullLimit), name: "limit")
            let ack = try request.query["ack"].map { try integer($0, name: "ack") }
            guard after >= 0, limit >= 1 else { throw ServerError(400, "bad_request", "Paramètres after/limit invalides.") }
            guard [nil, "0", "1"].contains(request.query["scopes"]) else { throw ServerError(400, "bad_request", "Paramètre scopes invalide (0 ou 1).") }
            let listScopes = request.query["scopes"] == "1"
            let ackEpoch = request.query["epoch"]
            if let ackEpoch, ackEpoch.isEmpty || ackEpoch.utf8.count > 64 || !ackEpoch.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }) {
                throw ServerError(400, "bad_request", "Paramètre epoch invalide.")
            }
            return try core.run { store in
                let device = try authenticate(request, store: store)
                let page = try store.pull(device: device, after: after, limit: Int(min(limit, Int64(SyncProtocol.maxPullLimit))), ack: ack, ackEpoch: ackEpoch, listScopes: listScopes)
                return tagged(.json(page.json), device: device)
            }
        }
        ReportRoutes.add(to: &router, core: core)
        Dashboard.register(into: &router, core: core)
        return router
    }

    struct TemplatesDocument: Encodable {
        let protocolVersion: Int
        let templates: [Template]
        enum CodingKeys: String, CodingKey { case protocolVersion = "protocol", templates }
    }

    static func authenticate(_ request: HTTPRequest, store: ServerStore) throws -> Device {
        guard let header = request.header("Authorization"), header.hasPrefix("Bearer "), header.count > 7 else {
            throw ServerError(401, "unauthorized", "Jeton d'appareil manquant : inscrivez cet ordinateur (grille-agent enroll).")
        }
        return try store.authenticate(token: String(header.dropFirst(7)).trimmingWhitespace())
    }

    /// The device id for the request log line; the HTTP server strips this header before sending.
    static func tagged(_ response: HTTPResponse, device: Device) -> HTTPResponse {
        var response = response
        response.headers.append(("X-Grille-Device", device.id))
        return response
    }

    static func decode<T>(_ request: HTTPRequest, _ make: (JSONValue) throws(WireError) -> T) throws -> T {
        let json: JSONValue
        do { json = try JSONValue.parse(request.body, limits: SyncProtocol.bodyLimits) } catch {
            throw ServerError(400, "bad_json", "Corps de requête JSON invalide (octet \(error.offset)) : \(error.message).")
        }
        do { return try make(json) } catch {
            if error.path == "events", error.message.hasPrefix("at most") {
                throw ServerError(413, "too_many_events", "Au plus \(SyncProtocol.maxPushEvents) saisies par envoi.")
            }
            throw ServerError(400, "bad_request", "Corps de requête invalide : \(error.description).")
        }
    }

    static func integer(_ text: String, name: String) throws -> Int64 {
        guard !text.isEmpty, text.count <= 19, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(text) else {
            throw ServerError(400, "bad_request", "Paramètre « \(name) » invalide : un entier positif est attendu.")
        }
        return value
    }
}

extension ServerError: HTTPResponseError {}

import Foundation
@testable import Shared

/// How often the simulated network misbehaves, per request.
struct FaultRates: Sendable {
    /// Lost before it reaches the server: the server never sees it.
    var dropRequest = 0.03
    /// Lost on the way back: the server DID apply the request.
    var dropAnswer = 0.03
    /// Delivered twice: at once (a retransmission) or later (a late copy).
    var duplicate = 0.03
    /// Held in the network and delivered later, after other requests; the client times out meanwhile.
    var delay = 0.03
    /// The answer's body is cut short (same status): the client cannot read it.
    var truncate = 0.02
    /// The server crashes right after applying a request, before answering.
    var serverCrash = 0.002
    /// On each request, the chance that some held requests are delivered first (out of order).
    var deliverDelayed = 0.25

    static let none = FaultRates(dropRequest: 0, dropAnswer: 0, duplicate: 0, delay: 0, truncate: 0, serverCrash: 0, deliverDelayed: 0)
}

/// The network between the agents and the server, in process: each request becomes an `HTTPRequest`
/// handed to the server's real router (`ServerRoutes.router(core:)`), and the seed decides what goes
/// wrong on the way. Faults are those of a real network: a dropped answer means the server applied the
/// request; a delayed request arrives after later ones; a duplicate is applied twice.
final class SimNetwork {
    let rng: SimRandom
    let server: SimServer
    var rates: FaultRates
    /// Off while the run settles (quiescence): every request is delivered once and answered.
    var faultsOn = true
    var stats = SimStats()
    /// Called with a description of each fault when the run is traced.
    var trace: ((String) -> Void)?

    private struct Held {
        let order: Int
        let from: String
        let request: HTTPRequest
    }

    private var held: [Held] = []
    private var sent = 0
    private var lastDelivered = -1

    init(rng: SimRandom, server: SimServer, rates: FaultRates) {
        self.rng = rng
        self.server = server
        self.rates = rates
    }

    var heldCount: Int { held.count }

    /// One exchange for `link`: what the agent's `Transport.send` does.
    func exchange(_ request: TransportRequest, from link: SimLink) throws(TransportError) -> TransportResponse {
        stats.add("requests")
        let order = sent
        sent += 1
        if faultsOn, !held.isEmpty, rng.chance(rates.deliverDelayed) {
            deliverHeld(count: rng.int(1...held.count))
        }
        if link.dead || link.offline {
            stats.add("refused (offline or server down)")
            throw TransportError(link.dead ? "processus arrêté" : "réseau indisponible")
        }
        if link.crashCountdown != nil {
            link.crashCountdown! -= 1
            if link.crashCountdown! <= 0 {
                // The agent dies during this exchange: sometimes after the server applied it.
                link.crashCountdown = nil
                link.dead = true
                if server.isUp, rng.chance(0.5) { _ = server.handle(Self.httpRequest(request, from: link.name)) }
                throw TransportError("processus arrêté")
            }
        }
        guard server.isUp else {
            stats.add("refused (offline or server down)")
            throw TransportError("connexion refusée")
        }
        let http = Self.httpRequest(request, from: link.name)
        if faultsOn {
            if rng.chance(rates.dropRequest) {
                stats.add("requests dropped")
                trace?("réseau : requête \(request.method) \(request.target) de \(link.name) perdue")
                throw TransportError("requête perdue")
            }
            if rng.chance(rates.delay) {
                stats.add("requests delayed")
                held.append(Held(order: order, from: link.name, request: http))
                trace?("réseau : requête \(request.method) \(request.target) de \(link.name) retenue")
                throw TransportError("délai dépassé")
            }
        }
        var response = server.handle(http)
        lastDelivered = max(lastDelivered, order)
        guard faultsOn else { return response }
        if rng.chance(rates.serverCrash) {
            stats.add("server crashes")
            trace?("serveur : arrêt brutal après \(request.method) \(request.target) de \(link.name)")
            server.crash()
            throw TransportError("connexion réinitialisée")
        }
        if rng.chance(rates.duplicate) {
            stats.add("requests duplicated")
            if rng.chance(0.5) {
                let second = server.handle(http)
                if rng.chance(0.5) { response = second }
            } else {
                held.append(Held(order: order, from: link.name, request: http))
            }
        }
        if rng.chance(rates.dropAnswer) {
            stats.add("answers dropped")
            trace?("réseau : réponse à \(request.method) \(request.target) de \(link.name) perdue (appliquée)")
            throw TransportError("réponse perdue")
        }
        if rng.chance(rates.truncate), response.body.count > 1 {
            stats.add("answers truncated")
            response.body = Array(response.body.prefix(rng.int(0...(response.body.count - 1))))
        }
        return response
    }

    /// Delivers `count` held requests in a random order; their answers go nowhere (the clients gave up).
    func deliverHeld(count: Int) {
        guard server.isUp else { return }
        let chosen = rng.shuffled(Array(held.indices)).prefix(count).sorted(by: >)
        var batch: [Held] = []
        for index in chosen { batch.append(held.remove(at: index)) }
        for item in rng.shuffled(batch) {
            stats.add("delayed delivered")
            if item.order < lastDelivered { stats.add("deliveries reordered") }
            lastDelivered = max(lastDelivered, item.order)
            _ = server.handle(item.request)
        }
    }

    /// Delivers everything still held (the network drains before the run settles).
    func drain() {
        while !held.isEmpty && server.isUp { deliverHeld(count: held.count) }
    }

    /// The request the HTTP parser would have produced for this exchange.
    static func httpRequest(_ request: TransportRequest, from name: String) -> HTTPRequest {
        let parts = request.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = parts.count > 1 ? HTTPTarget.decodeQuery(Array(parts[1].utf8)[...]) ?? [:] : [:]
        var headers: [(name: String, value: String)] = [("Host", "127.0.0.1:8080")]
        headers += request.headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        if !request.body.isEmpty { headers.append(("Content-Length", String(request.body.count))) }
        return HTTPRequest(method: request.method, target: request.target, path: String(parts[0]), query: query,
                           headers: headers, body: request.body, remoteAddress: "sim:\(name)")
    }
}

/// One agent's way into the network: its `Transport`. It also carries the agent's own failures: an
/// offline laptop, and a process that dies during a sync.
final class SimLink: Transport, @unchecked Sendable {
    // @unchecked: a simulated run lives on one thread; the engine calls `send` synchronously from it.
    let name: String
    let network: SimNetwork
    /// The laptop has no network.
    var offline = false
    /// The agent process died (during a sync); every request fails until it restarts.
    var dead = false
    /// When set, the agent dies during the exchange that brings it to zero.
    var crashCountdown: Int?

    init(name: String, network: SimNetwork) {
        self.name = name
        self.network = network
    }

    func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse {
        try network.exchange(request, from: self)
    }
}

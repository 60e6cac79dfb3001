import Dispatch
import Foundation
import Shared
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `Transport` over HTTP(S) with one long-lived `URLSession`, created once per process, with explicit
/// request and resource timeouts (the resource default is 7 days, swift-corelibs-foundation #3497). TLS
/// is checked against the system trust store: there is no delegate that could accept another
/// certificate. The asynchronous task is bridged to the synchronous protocol with a semaphore.
final class HTTPTransport: Transport {
    let baseURL: String
    private let session: URLSession

    /// `baseURL` is a checked server address (`ServerAddress.normalize`), without a trailing slash.
    init(baseURL: String, requestTimeout: TimeInterval = 30, resourceTimeout: TimeInterval = 300) {
        self.baseURL = baseURL
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = requestTimeout
        configuration.timeoutIntervalForResource = resourceTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieStorage = nil
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.invalidateAndCancel()
    }

    func send(_ request: TransportRequest) throws(TransportError) -> TransportResponse {
        guard let url = URL(string: baseURL + request.target) else {
            throw TransportError("adresse de requête invalide (\(baseURL)\(request.target))")
        }
        var urlRequest = URLRequest(url: url)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if !request.body.isEmpty { urlRequest.httpBody = Data(request.body) }

        let box = ExchangeBox()
        let task = session.dataTask(with: urlRequest) { data, response, error in
            box.finish(data: data, response: response, error: error)
        }
        task.resume()
        box.wait()
        let (data, response, error) = box.result
        if let error {
            throw TransportError(Self.describe(error))
        }
        guard let http = response as? HTTPURLResponse else {
            throw TransportError("réponse du serveur incomplète")
        }
        return TransportResponse(status: http.statusCode, body: data.map { [UInt8]($0) } ?? [])
    }

    /// A French description of a network failure, for the user.
    static func describe(_ error: any Error) -> String {
        guard let urlError = error as? URLError else { return "échec réseau (\(error.localizedDescription))" }
        switch urlError.code {
        case .cannotConnectToHost, .networkConnectionLost: return "connexion refusée ou interrompue"
        case .timedOut: return "délai d'attente dépassé"
        case .cannotFindHost, .dnsLookupFailed: return "serveur introuvable (nom inconnu)"
        case .notConnectedToInternet: return "pas de connexion réseau"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return "connexion sécurisée refusée (certificat du serveur non reconnu)"
        default: return "échec réseau (code \(urlError.code.rawValue))"
        }
    }
}

/// The answer of one data task, handed from URLSession's delegate queue to the waiting caller.
private final class ExchangeBox: @unchecked Sendable {
    // @unchecked: `stored` is written once under `lock` before `done` is signalled, and read after the
    // wait returns.
    private let lock = NSLock()
    private let done = DispatchSemaphore(value: 0)
    private var stored: (Data?, URLResponse?, (any Error)?) = (nil, nil, nil)

    func finish(data: Data?, response: URLResponse?, error: (any Error)?) {
        lock.lock()
        stored = (data, response, error)
        lock.unlock()
        done.signal()
    }

    func wait() { done.wait() }

    var result: (Data?, URLResponse?, (any Error)?) {
        lock.lock(); defer { lock.unlock() }
        return stored
    }
}

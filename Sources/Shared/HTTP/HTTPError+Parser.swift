/// The refusals `HTTPParser` and `HTTPServer` answer with. Codes are stable; messages are for people.
extension HTTPError {
    static let badRequestLine = HTTPError(
        status: 400, code: "bad_request_line", message: "Ligne de requête HTTP invalide.")
    static let invalidMethod = HTTPError(
        status: 400, code: "invalid_method", message: "Méthode HTTP invalide.")
    static let invalidTarget = HTTPError(
        status: 400, code: "invalid_target", message: "La cible de la requête doit être un chemin commençant par « / ».")
    static let invalidPath = HTTPError(
        status: 400, code: "invalid_path", message: "Le chemin de la requête est mal encodé.")
    static let invalidQuery = HTTPError(
        status: 400, code: "invalid_query", message: "Les paramètres de la requête sont mal encodés.")
    static let bareLineFeed = HTTPError(
        status: 400, code: "bad_line_ending", message: "Les lignes d'une requête HTTP doivent finir par CRLF.")
    static let obsFold = HTTPError(
        status: 400, code: "obsolete_line_folding", message: "Les en-têtes repliés sur plusieurs lignes sont refusés.")
    static let invalidHeader = HTTPError(
        status: 400, code: "invalid_header", message: "En-tête HTTP invalide.")
    static let missingHost = HTTPError(
        status: 400, code: "missing_host", message: "L'en-tête Host est obligatoire en HTTP/1.1.")
    static let duplicateHost = HTTPError(
        status: 400, code: "duplicate_host", message: "L'en-tête Host ne doit apparaître qu'une fois.")
    static let invalidContentLength = HTTPError(
        status: 400, code: "invalid_content_length", message: "Content-Length doit être un nombre entier positif.")
    static let duplicateContentLength = HTTPError(
        status: 400, code: "duplicate_content_length", message: "Content-Length ne doit apparaître qu'une fois.")
    static let conflictingFraming = HTTPError(
        status: 400, code: "conflicting_framing",
        message: "Content-Length et Transfer-Encoding ne peuvent pas être utilisés ensemble.")
    static let transferEncodingNotImplemented = HTTPError(
        status: 501, code: "transfer_encoding_not_implemented",
        message: "Transfer-Encoding n'est pas pris en charge : envoyez le corps avec Content-Length.")
    static let expectationFailed = HTTPError(
        status: 417, code: "expectation_failed", message: "Seule l'attente « 100-continue » est prise en charge.")
    static let uriTooLong = HTTPError(
        status: 414, code: "uri_too_long", message: "L'adresse demandée est trop longue.")
    static let headersTooLarge = HTTPError(
        status: 431, code: "header_fields_too_large", message: "Les en-têtes de la requête sont trop volumineux.")
    static let payloadTooLarge = HTTPError(
        status: 413, code: "payload_too_large", message: "Le corps de la requête est trop volumineux ; envoyez-le en plusieurs lots.")
    static let versionNotSupported = HTTPError(
        status: 505, code: "http_version_not_supported", message: "Seuls HTTP/1.0 et HTTP/1.1 sont pris en charge.")
    static let requestTimeout = HTTPError(
        status: 408, code: "request_timeout", message: "La requête est arrivée trop lentement ; réessayez.")
    static let serverBusy = HTTPError(
        status: 503, code: "server_busy", message: "Le serveur est saturé ; réessayez dans un instant.")
    static let handlerTimeout = HTTPError(
        status: 503, code: "handler_timeout", message: "Le serveur a mis trop de temps à répondre ; réessayez plus tard.")
    static let shuttingDown = HTTPError(
        status: 503, code: "shutting_down", message: "Le serveur redémarre ; réessayez dans un instant.")
}

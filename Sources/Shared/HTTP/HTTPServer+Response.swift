extension HTTPServer {
    /// The bytes of a response: status line, the handler's fields (minus the ones the server owns), `Date`,
    /// `Content-Length` (not for 204 and 304, RFC 9110 §8.6), `Connection`, then the body unless the request
    /// was HEAD or the status forbids one. A handler response that could not be sent safely (a status
    /// outside 200–599, a field with CR, LF or another control character) becomes a 500 instead, which also
    /// rules out response splitting. Returns the device the handler named and the status actually sent.
    func serialize(_ response: HTTPResponse, method: String, keepAlive: Bool) -> (bytes: [UInt8], deviceID: String?, status: Int) {
        var deviceID: String?
        var fields: [(String, String)] = []
        var valid = (200...599).contains(response.status)
        for (name, value) in response.headers {
            if HTTPField.namesEqual(name, Self.deviceHeader) {
                deviceID = value
                continue
            }
            if ["Content-Length", "Transfer-Encoding", "Date", "Connection"].contains(where: { HTTPField.namesEqual(name, $0) }) {
                continue
            }
            if !HTTPField.isToken(name) || !value.utf8.allSatisfy(HTTPField.isValueByte) {
                valid = false
            }
            fields.append((name, value))
        }
        guard valid else {
            Console.error("grille http : réponse invalide du gestionnaire (statut \(response.status)), remplacée par 500")
            let replacement = HTTPResponse.error(
                status: 500, code: "internal", message: "Erreur interne du serveur. Réessayez plus tard."
            )
            return (serialize(replacement, method: method, keepAlive: keepAlive).bytes, deviceID, 500)
        }

        let bodyAllowed = response.status != 204 && response.status != 304
        var head = "HTTP/1.1 \(response.status) \(HTTPResponse.reasonPhrase(for: response.status))\r\n"
        for (name, value) in fields { head += "\(name): \(value)\r\n" }
        head += "Date: \(HTTPDate.now())\r\n"
        if bodyAllowed { head += "Content-Length: \(response.body.count)\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        head += "\r\n"
        var bytes = Array(head.utf8)
        if bodyAllowed && method != "HEAD" { bytes += response.body }
        return (bytes, deviceID, response.status)
    }
}

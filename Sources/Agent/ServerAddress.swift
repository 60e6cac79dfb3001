import Foundation

/// The server address given to `enroll --server`: `https://host[:port][/prefix]`, or plain `http://` to
/// this computer only (tests, a server on the same machine). No user, query or fragment.
enum ServerAddress {
    static let loopbackHosts: Set<String> = ["localhost", "127.0.0.1", "::1", "[::1]"]

    /// The address without a trailing slash, or a French reason.
    static func normalize(_ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let refusal = AgentError.user("Adresse de serveur invalide « \(text) » : écrivez par exemple https://grille.ac-exemple.fr (http:// n'est accepté que pour cet ordinateur, 127.0.0.1 ou localhost).")
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty,
              components.user == nil, components.password == nil, components.query == nil, components.fragment == nil,
              trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw refusal
        }
        guard scheme == "https" || (scheme == "http" && loopbackHosts.contains(host.lowercased())) else { throw refusal }
        if let port = components.port, !(1...65535).contains(port) { throw refusal }
        var normalized = trimmed
        while normalized.hasSuffix("/") { normalized.removeLast() }
        guard URL(string: normalized + "/v1/enroll") != nil else { throw refusal }
        return normalized
    }
}

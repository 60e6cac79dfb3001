import Shared

extension ServerCLI {
    func serve() throws {
        throw ServerError.user("serve : en cours d'intégration.")
    }
}

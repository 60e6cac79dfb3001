import Shared

/// Why a sync (or an enrollment) stopped. Every case has a French message for the user; nothing of the
/// local data is deleted except by `wiped`, the consequence of the server's `device_revoked` answer.
enum SyncError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The network failed on every attempt.
    case unreachable(String)
    /// The server answered 5xx (or 408/429) on every attempt.
    case serverFailure(status: Int, message: String?)
    /// 401 other than `device_revoked`: a bad or missing token, or a misconfigured proxy. Nothing is wiped.
    case unauthorized(code: String?, message: String?)
    /// 401 `device_revoked`, before the wipe (internal to the engine).
    case deviceRevoked
    /// The device was revoked: unpushed events were written to `file`, then the data was deleted.
    case wiped(file: String?, events: Int)
    /// Another 4xx answer.
    case refused(status: Int, code: String?, message: String?)
    /// A 2xx answer whose body is not the documented one.
    case badAnswer(String)
    /// The loop was asked to stop (SIGINT/SIGTERM) during a wait.
    case cancelled

    var description: String { message }

    var message: String {
        switch self {
        case .unreachable(let reason):
            "Serveur injoignable (\(reason)). Vos saisies restent sur cet ordinateur ; réessayez plus tard ou utilisez « grille-agent export-events FICHIER »."
        case .serverFailure(let status, let message):
            "Le serveur est en difficulté (erreur \(status)\(message.map { " : \($0)" } ?? "")). Vos saisies restent sur cet ordinateur ; réessayez plus tard."
        case .unauthorized(_, let message):
            "Le serveur refuse le jeton de cet ordinateur (401\(message.map { " : \($0)" } ?? "")). Rien n'a été supprimé. Vérifiez l'adresse du serveur (un proxy mal configuré donne aussi cette erreur) ou demandez un nouveau code d'inscription à votre coordonnateur."
        case .deviceRevoked:
            "Cet ordinateur a été révoqué par le coordonnateur."
        case .wiped(let file, let events):
            if let file {
                "Cet ordinateur a été révoqué par le coordonnateur : les données de l'académie ont été effacées. Vos \(events) saisie(s) non envoyée(s) ont été enregistrées dans « \(file) » ; remettez ce fichier à votre coordonnateur."
            } else {
                "Cet ordinateur a été révoqué par le coordonnateur : les données de l'académie ont été effacées. Aucune saisie n'attendait d'envoi."
            }
        case .refused(let status, let code, let message):
            "Le serveur a refusé la demande (\(status)\(code.map { " \($0)" } ?? ""))\(message.map { " : \($0)" } ?? ".")"
        case .badAnswer(let detail):
            "Réponse du serveur illisible (\(detail)). Vérifiez l'adresse du serveur et la version de Grille."
        case .cancelled:
            "Synchronisation interrompue à la demande."
        }
    }
}

import Shared

/// What one sync did, for the `sync` line, `sync --json` and the `serve` log.
struct SyncSummary: Sendable, Equatable {
    var pushed = 0
    var accepted = 0
    var duplicates = 0
    var rejected = 0
    var restamped = 0
    var pulled = 0
    var confirmed = 0
    var controls = 0
    var repushed = 0
    var epochChanged = false
    var clockOffsetMilliseconds: Int64 = 0
    var cursor: Int64 = 0
    var epoch: String?
    /// Messages for the user (clock correction, revoked access, purged session, restore).
    var notices: [String] = []

    var json: JSONValue {
        ["pushed": .int(Int64(pushed)), "accepted": .int(Int64(accepted)), "duplicates": .int(Int64(duplicates)),
         "rejected": .int(Int64(rejected)), "restamped": .int(Int64(restamped)), "pulled": .int(Int64(pulled)),
         "confirmed": .int(Int64(confirmed)), "controls": .int(Int64(controls)), "repushed": .int(Int64(repushed)),
         "epoch_changed": .bool(epochChanged), "clock_offset_ms": .int(clockOffsetMilliseconds), "cursor": .int(cursor),
         "epoch": epoch.map { .string($0) } ?? .null, "notices": .array(notices.map { .string($0) })]
    }

    /// One French line.
    var line: String {
        var parts = ["\(pushed) envoyée(s)", "\(accepted) acceptée(s)"]
        if duplicates > 0 { parts.append("\(duplicates) déjà connue(s)") }
        parts.append("\(rejected) refusée(s)")
        parts.append("\(pulled) reçue(s)")
        if controls > 0 { parts.append("\(controls) contrôle(s)") }
        if repushed > 0 { parts.append("\(repushed) renvoyée(s) après restauration du serveur") }
        return "Synchronisation terminée : " + parts.joined(separator: ", ") + " (curseur \(cursor))."
    }

    /// The message shown after a clock-skew correction.
    /// `offset` is the correction (server time minus this computer's time); `resent` tells whether the
    /// re-stamped events were pushed again (sync) or wait for the next export (USB receipts).
    static func skewNotice(offsetMilliseconds offset: Int64, resent: Bool = true) -> String {
        let minutes = max(1, (abs(offset) + 30_000) / 60_000)
        let verb = offset <= 0 ? "avançait" : "retardait"
        let then = resent ? "vos saisies ont été renvoyées" : "vos saisies ont été redatées et partiront au prochain envoi"
        return "L'horloge de cet ordinateur \(verb) de \(minutes) minute\(minutes > 1 ? "s" : "") ; \(then)."
    }
}

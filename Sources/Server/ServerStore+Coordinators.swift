import Foundation
import Shared

/// A coordinator's dashboard password as stored: PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) of the UTF-8
/// password with a random salt of its own and the iteration count in force when it was set.
struct CoordinatorCredential: Sendable, Equatable {
    let evaluator: String
    let salt: [UInt8]
    let iterations: Int
    let hash: [UInt8]
    let setAt: Int64
    let setBy: String
}

/// An open dashboard session. Only the SHA-256 of the cookie's token is stored; `csrf` is the token every
/// form of the session posts back.
struct WebSession: Sendable, Equatable {
    let evaluator: String
    let csrf: String
    let createdAt: Int64
    let lastSeen: Int64
}

/// What a login attempt gives.
enum LoginOutcome: Sendable, Equatable {
    /// `token` goes into the session cookie; the store keeps only its hash.
    case success(token: String, session: WebSession)
    /// Unknown account, no password set, wrong password, or not a coordinator: one answer for all.
    case invalid
    /// Too many failures for this account or this client address: refused without checking the
    /// password until `until` (ms since 1970).
    case locked(until: Int64)
}

/// The numbers behind the dashboard's logins (docs/ARCHITECTURE.md, « Web interfaces »).
enum CoordinatorPolicy {
    /// OWASP's 2023 floor for PBKDF2-HMAC-SHA256; the default when no setting is stored.
    static let productionIterations = 210_000
    /// The lowest count `coordinator iterations` accepts, for test academies only.
    static let minimumIterations = 1_000
    static let maximumIterations = 10_000_000
    /// The `meta` key of the iteration setting (`grille-server coordinator iterations N --by ID`).
    static let iterationsKey = "coordinator_pbkdf2_iterations"
    static let minimumPasswordLength = 12
    static let maximumPasswordBytes = 1_024
    static let saltBytes = 16
    static let hashBytes = 32
    /// Failures that lock an account, and a client address, for `lockMilliseconds`.
    static let maxAccountFailures = 5
    static let maxAddressFailures = 10
    /// Failures older than this are forgotten; a lock lasts as long.
    static let lockMilliseconds: Int64 = 15 * 60_000
    /// A session ends after two hours without a request, and twelve hours after the login in any case.
    static let idleMilliseconds: Int64 = 2 * 3_600_000
    static let absoluteMilliseconds: Int64 = 12 * 3_600_000
}

extension ServerStore {
    // MARK: - Passwords

    /// The PBKDF2 iteration count used for new passwords: the stored setting, else 210,000.
    func passwordIterations() throws -> Int {
        try meta(CoordinatorPolicy.iterationsKey).flatMap(Int.init) ?? CoordinatorPolicy.productionIterations
    }

    /// Changes the iteration count for passwords set from now on (an academy coordinator only). Existing
    /// passwords keep theirs until their next successful login, which re-derives them with the new count.
    func setPasswordIterations(_ iterations: Int, by coordinator: String) throws {
        guard roster.evaluator(coordinator)?.role == .academy else {
            throw ServerError.user("Seul un coordonnateur académique (rôle academy) règle le coût des mots de passe.")
        }
        guard (CoordinatorPolicy.minimumIterations...CoordinatorPolicy.maximumIterations).contains(iterations) else {
            throw ServerError.user("Nombre d'itérations invalide : entre \(CoordinatorPolicy.minimumIterations) et \(CoordinatorPolicy.maximumIterations) (\(CoordinatorPolicy.productionIterations) au moins en production).")
        }
        try db.write {
            try setMeta(CoordinatorPolicy.iterationsKey, String(iterations))
            try audit("password iterations", by: coordinator, detail: String(iterations))
        }
    }

    /// Refuses a password a coordinator should not use, with a French reason.
    static func checkPasswordStrength(_ password: String, evaluator: String) throws {
        if password.count < CoordinatorPolicy.minimumPasswordLength {
            throw ServerError.user("Mot de passe trop court : \(CoordinatorPolicy.minimumPasswordLength) caractères au moins (une phrase de plusieurs mots convient bien).")
        }
        if password.utf8.count > CoordinatorPolicy.maximumPasswordBytes {
            throw ServerError.user("Mot de passe trop long : \(CoordinatorPolicy.maximumPasswordBytes) octets au plus.")
        }
        if password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ServerError.user("Le mot de passe contient un caractère de contrôle : choisissez-en un autre.")
        }
        if Set(password).count < 4 || password.lowercased().contains(evaluator.lowercased()) {
            throw ServerError.user("Mot de passe trop facile à deviner (trop peu de caractères différents, ou l'identifiant lui-même) : choisissez-en un autre.")
        }
    }

    /// Sets the dashboard password of a roster coordinator (`coordinator` or `academy` role): a new salt,
    /// the current iteration count, every open session of that coordinator closed, their lock lifted.
    func setCoordinatorPassword(_ evaluator: String, password: String, by author: String) throws {
        guard let person = roster.evaluator(evaluator) else {
            throw ServerError.user("Évaluateur inconnu « \(evaluator) » : il ne figure pas dans la liste importée.")
        }
        guard person.role == .coordinator || person.role == .academy else {
            throw ServerError.user("« \(evaluator) » n'est pas coordonnateur (rôle \(person.role.rawValue)) : seuls les coordonnateurs ont accès au tableau de bord.")
        }
        try checkCoordinator(author, in: [roster])
        try Self.checkPasswordStrength(password, evaluator: evaluator)
        let iterations = try passwordIterations()
        let salt = SecureRandom.bytes(CoordinatorPolicy.saltBytes)
        let hash = Self.derive(password, salt: salt, iterations: iterations)
        try db.write {
            try storeCredential(evaluator, salt: salt, iterations: iterations, hash: hash, by: author)
            try db.run("DELETE FROM web_sessions WHERE evaluator = ?", evaluator)
            try db.run("DELETE FROM login_throttle WHERE key = ?", Self.accountKey(evaluator))
            try audit("coordinator password", by: author, detail: evaluator)
        }
    }

    private func storeCredential(_ evaluator: String, salt: [UInt8], iterations: Int, hash: [UInt8], by author: String) throws {
        try db.run("""
            INSERT INTO coordinator_credentials (evaluator, salt, iterations, hash, set_at, set_by) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (evaluator) DO UPDATE SET salt = excluded.salt, iterations = excluded.iterations, hash = excluded.hash,
                set_at = excluded.set_at, set_by = excluded.set_by
            """, evaluator, Hex.encode(salt), iterations, Hex.encode(hash), clock.nowMilliseconds(), author)
    }

    func credential(_ evaluator: String) throws -> CoordinatorCredential? {
        try db.queryOne("SELECT evaluator, salt, iterations, hash, set_at, set_by FROM coordinator_credentials WHERE evaluator = ?", evaluator)
            .flatMap { row in
                guard let salt = Hex.decode(row.string(1)), let hash = Hex.decode(row.string(3)) else { return nil }
                return CoordinatorCredential(evaluator: row.string(0), salt: salt, iterations: row.int(2), hash: hash,
                                             setAt: row.int64(4), setBy: row.string(5))
            }
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        PBKDF2.hmacSHA256(password: Array(password.utf8), salt: salt, iterations: iterations, keyLength: CoordinatorPolicy.hashBytes)
    }

    /// True when `password` is the coordinator's. The derived key is compared with `ConstantTime.equals`;
    /// an account without a password still costs one derivation, so timing does not tell which ids exist.
    func verifyPassword(_ evaluator: String, _ password: String) throws -> Bool {
        guard let credential = try credential(evaluator) else {
            _ = Self.derive(password, salt: Array(repeating: 0, count: CoordinatorPolicy.saltBytes), iterations: try passwordIterations())
            return false
        }
        return ConstantTime.equals(Self.derive(password, salt: credential.salt, iterations: credential.iterations), credential.hash)
    }

    // MARK: - Login and sessions

    /// The roster evaluator a login names: an id, or an e-mail address (case ignored).
    func loginEvaluator(_ text: String) -> Roster.Evaluator? {
        let typed = text.trimmingWhitespace()
        if let evaluator = roster.evaluator(typed) { return evaluator }
        guard typed.contains("@") else { return nil }
        return roster.evaluators.first { $0.email.lowercased() == typed.lowercased() }
    }

    static func accountKey(_ account: String) -> String { "account:" + account.lowercased() }
    static func addressKey(_ address: String) -> String { "address:" + address }

    /// Checks a login. Locked accounts and addresses are refused before the password is derived; a failure
    /// counts against both; a success clears the account's failures and opens a session.
    func login(_ account: String, password: String, address: String) throws -> LoginOutcome {
        let evaluator = loginEvaluator(account)
        let accountKey = Self.accountKey(evaluator?.id ?? String(account.trimmingWhitespace().prefix(200)))
        let addressKey = Self.addressKey(address)
        let now = clock.nowMilliseconds()
        let lockedUntil = try [accountKey, addressKey].compactMap { try lockEnd($0, now: now) }.max()
        if let lockedUntil { return .locked(until: lockedUntil) }
        let role = evaluator?.role
        let allowed = role == .coordinator || role == .academy
        let valid = try verifyPassword(evaluator?.id ?? "", password) && allowed
        guard valid, let evaluator else {
            try db.write {
                try recordFailure(accountKey, limit: CoordinatorPolicy.maxAccountFailures, now: now)
                try recordFailure(addressKey, limit: CoordinatorPolicy.maxAddressFailures, now: now)
                try audit("dashboard login refused", by: evaluator?.id, detail: address)
            }
            return .invalid
        }
        return try db.write {
            try db.run("DELETE FROM login_throttle WHERE key = ?", accountKey)
            try db.run("DELETE FROM web_sessions WHERE last_seen < ? OR created_at < ?",
                       now - CoordinatorPolicy.idleMilliseconds, now - CoordinatorPolicy.absoluteMilliseconds)
            // A password set under a lower iteration count is re-derived with the current one.
            let iterations = try passwordIterations()
            if let credential = try credential(evaluator.id), credential.iterations < iterations {
                let salt = SecureRandom.bytes(CoordinatorPolicy.saltBytes)
                try storeCredential(evaluator.id, salt: salt, iterations: iterations,
                                    hash: Self.derive(password, salt: salt, iterations: iterations), by: credential.setBy)
            }
            let token = SecureRandom.hex(32)
            let session = WebSession(evaluator: evaluator.id, csrf: SecureRandom.hex(32), createdAt: now, lastSeen: now)
            try db.run("INSERT INTO web_sessions (token_hash, evaluator, csrf, created_at, last_seen, address) VALUES (?, ?, ?, ?, ?, ?)",
                       Self.tokenHash(token), evaluator.id, session.csrf, now, now, address)
            try audit("dashboard login", by: evaluator.id, detail: address)
            return .success(token: token, session: session)
        }
    }

    /// When the key's lock ends, if it is locked now.
    private func lockEnd(_ key: String, now: Int64) throws -> Int64? {
        guard let until = try db.scalarInt("SELECT locked_until FROM login_throttle WHERE key = ?", key), until > now else { return nil }
        return until
    }

    private func recordFailure(_ key: String, limit: Int, now: Int64) throws {
        let row = try db.queryOne("SELECT failures, first_failure_at FROM login_throttle WHERE key = ?", key)
        var failures = row?.int(0) ?? 0
        var first = row?.int64(1) ?? now
        if now - first > CoordinatorPolicy.lockMilliseconds {   // an old series is forgotten
            failures = 0
            first = now
        }
        failures += 1
        // Reaching the limit locks the key and starts a new series for after the lock.
        let locking = failures >= limit
        try db.run("""
            INSERT INTO login_throttle (key, failures, first_failure_at, locked_until) VALUES (?, ?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, first_failure_at = excluded.first_failure_at,
                locked_until = excluded.locked_until
            """, key, locking ? 0 : failures, locking ? now + CoordinatorPolicy.lockMilliseconds : first,
            locking ? now + CoordinatorPolicy.lockMilliseconds : nil as Int64?)
    }

    static func tokenHash(_ token: String) -> String {
        Hex.encode(SHA256.hash(Array(token.utf8)))
    }

    /// The open session a cookie token belongs to, or nil: unknown, idle too long, too old, or its
    /// evaluator is no longer a coordinator in the roster (then the session is closed).
    func webSession(token: String) throws -> WebSession? {
        guard token.utf8.count == 64, token.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        let hash = Self.tokenHash(token)
        guard let row = try db.queryOne("SELECT evaluator, csrf, created_at, last_seen FROM web_sessions WHERE token_hash = ?", hash) else { return nil }
        let session = WebSession(evaluator: row.string(0), csrf: row.string(1), createdAt: row.int64(2), lastSeen: row.int64(3))
        let now = clock.nowMilliseconds()
        let role = roster.evaluator(session.evaluator)?.role
        guard now - session.lastSeen <= CoordinatorPolicy.idleMilliseconds, now - session.createdAt <= CoordinatorPolicy.absoluteMilliseconds,
              role == .coordinator || role == .academy else {
            try db.write { try db.run("DELETE FROM web_sessions WHERE token_hash = ?", hash) }
            return nil
        }
        if now - session.lastSeen > 60_000 {
            try db.write { try db.run("UPDATE web_sessions SET last_seen = ? WHERE token_hash = ?", now, hash) }
        }
        return session
    }

    func logout(token: String) throws {
        try db.write {
            let hash = Self.tokenHash(token)
            if let evaluator = try db.scalarString("SELECT evaluator FROM web_sessions WHERE token_hash = ?", hash) {
                try db.run("DELETE FROM web_sessions WHERE token_hash = ?", hash)
                try audit("dashboard logout", by: evaluator, detail: "")
            }
        }
    }

    /// The roster's coordinators with the date their password was set (nil: none) and their open sessions.
    func coordinatorAccounts() throws -> [(evaluator: Roster.Evaluator, passwordSetAt: Int64?, sessions: Int)] {
        try roster.evaluators.filter { $0.role == .coordinator || $0.role == .academy }.map { person in
            (person, try db.scalarInt("SELECT set_at FROM coordinator_credentials WHERE evaluator = ?", person.id),
             Int(try db.scalarInt("SELECT count(*) FROM web_sessions WHERE evaluator = ?", person.id) ?? 0))
        }
    }
}

import Foundation
import Shared

/// An enrolled laptop.
struct Device: Sendable, Equatable {
    let id: String
    let evaluator: String
    let enrolledAt: Int64
    let revokedAt: Int64?
    let lastSeen: Int64?
    let clockOffset: Int64?
}

extension ServerStore {
    /// Creates a one-time enrollment code for a roster evaluator: 160 random bits written as grouped
    /// base32 (`ABCD-EFGH-…`). Only its SHA-256 is stored.
    func createEnrollmentCode(for evaluator: String, ttlMilliseconds: Int64, by coordinator: String) throws -> (code: String, expiresAt: Int64) {
        try checkCoordinator(coordinator, in: [roster])
        guard roster.evaluator(evaluator) != nil else {
            throw ServerError.user("Évaluateur inconnu « \(evaluator) » : il ne figure pas dans la liste importée.")
        }
        let bytes = SecureRandom.bytes(20)
        let now = clock.nowMilliseconds()
        try db.write {
            let hash = Hex.encode(SHA256.hash(bytes))
            try db.run("INSERT INTO enrollment_codes (code_hash, evaluator, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?)",
                       hash, evaluator, now, now + ttlMilliseconds, coordinator)
            try audit("enroll", by: coordinator, detail: evaluator)
            try journal.append(["type": "code", "code_hash": .string(hash), "evaluator": .string(evaluator), "created_at": .int(now),
                                "expires_at": .int(now + ttlMilliseconds), "by": .string(coordinator)])
        }
        return (Base32.grouped(bytes), now + ttlMilliseconds)
    }

    /// Trades a code for a device token (256 random bits; only its SHA-256 is stored).
    func enroll(_ request: EnrollRequest) throws -> EnrollResponse {
        guard let bytes = Base32.decode(request.code), bytes.count == 20 else {
            throw ServerError(401, "invalid_code", "Code d'inscription invalide : vérifiez sa saisie ou demandez-en un nouveau.")
        }
        guard GridID.isSafeComponent(request.device) else {
            throw ServerError(400, "bad_request", "Identifiant d'appareil invalide.")
        }
        let hash = Hex.encode(SHA256.hash(bytes))
        let now = clock.nowMilliseconds()
        return try db.write {
            guard let row = try db.queryOne("SELECT evaluator, expires_at, used_at, created_at FROM enrollment_codes WHERE code_hash = ?", hash) else {
                throw ServerError(401, "invalid_code", "Code d'inscription inconnu : vérifiez sa saisie ou demandez-en un nouveau.")
            }
            let evaluator = row.string(0)
            guard row[2].isNull else {
                throw ServerError(401, "invalid_code", "Ce code d'inscription a déjà servi : demandez-en un nouveau à votre coordonnateur.")
            }
            guard row.int64(1) > now else {
                throw ServerError(401, "invalid_code", "Ce code d'inscription a expiré : demandez-en un nouveau à votre coordonnateur.")
            }
            if let expected = request.evaluator, expected != evaluator {
                throw ServerError(409, "evaluator_mismatch", "Ce code a été créé pour « \(evaluator) », mais cet ordinateur saisit pour « \(expected) » : code non utilisé.")
            }
            if let existing = try db.queryOne("SELECT evaluator, revoked_at, enrolled_at FROM devices WHERE id = ?", request.device) {
                guard existing.string(0) == evaluator, existing[1].isNull else {
                    throw ServerError(409, "device_exists", "Cet appareil est déjà inscrit pour un autre évaluateur ou a été révoqué : réinitialisez-le (--reset).")
                }
                // A new code re-enrolls a device whose answer was lost. A code older than the device's current
                // enrollment is a stale request arriving late: it must not replace the token the laptop holds.
                guard row.int64(3) >= existing.int64(2) else {
                    throw ServerError(409, "device_exists", "Cet appareil est déjà inscrit avec un code plus récent : ce code n'a pas été utilisé.")
                }
            }
            let token = SecureRandom.hex(32)
            let tokenHash = Hex.encode(SHA256.hash(Array(token.utf8)))
            try db.run("""
                INSERT INTO devices (id, evaluator, token_hash, enrolled_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, enrolled_at = excluded.enrolled_at
                """, request.device, evaluator, tokenHash, now)
            try db.run("UPDATE enrollment_codes SET used_at = ?, used_by_device = ? WHERE code_hash = ?", now, request.device, hash)
            try audit("device enrolled", by: evaluator, detail: request.device)
            // Survives a restore from an older backup: the laptop keeps its token, the code stays used.
            try journal.append(["type": "code_used", "code_hash": .string(hash), "device": .string(request.device), "at": .int(now)])
            try journal.append(["type": "enroll", "device": .string(request.device), "evaluator": .string(evaluator),
                                "token_hash": .string(tokenHash), "at": .int(now)])
            return EnrollResponse(device: request.device, token: token, evaluator: evaluator, academy: academy,
                                  timezone: timezone, epoch: epoch, serverTime: now)
        }
    }

    /// The device a bearer token belongs to. A revoked device gets `device_revoked`, the only answer that
    /// makes an agent wipe its data.
    func authenticate(token: String) throws -> Device {
        let hash = Hex.encode(SHA256.hash(Array(token.utf8)))
        guard let row = try db.queryOne("SELECT id, evaluator, enrolled_at, revoked_at, last_seen, clock_offset_ms FROM devices WHERE token_hash = ?", hash) else {
            throw ServerError(401, "unauthorized", "Jeton d'appareil inconnu : inscrivez cet ordinateur (grille-agent enroll).")
        }
        let device = Device(row)
        if device.revokedAt != nil {
            throw ServerError(401, "device_revoked", "Cet ordinateur a été révoqué par l'académie.")
        }
        return device
    }

    func device(_ id: String) throws -> Device? {
        try db.queryOne("SELECT id, evaluator, enrolled_at, revoked_at, last_seen, clock_offset_ms FROM devices WHERE id = ?", id).map(Device.init)
    }

    func devices() throws -> [Device] {
        try db.query("SELECT id, evaluator, enrolled_at, revoked_at, last_seen, clock_offset_ms FROM devices ORDER BY enrolled_at, id").map(Device.init)
    }

    func activeDevices() throws -> [Device] {
        try devices().filter { $0.revokedAt == nil }
    }

    func revoke(device id: String, by coordinator: String) throws {
        try checkCoordinator(coordinator, in: [roster])
        try db.write {
            guard let device = try device(id) else { throw ServerError.user("Appareil inconnu « \(id) » : « grille-server devices » les liste.") }
            guard device.revokedAt == nil else { throw ServerError.user("L'appareil « \(id) » est déjà révoqué.") }
            let now = clock.nowMilliseconds()
            try db.run("UPDATE devices SET revoked_at = ?, revoked_by = ? WHERE id = ?", now, coordinator, id)
            try db.run("DELETE FROM controls WHERE device = ?", id)
            try audit("device revoked", by: coordinator, detail: id)
            try journal.append(["type": "revoke", "device": .string(id), "by": .string(coordinator), "at": .int(now)])
        }
    }

    /// Records that `device` was seen now (and its clock offset, from a push). A pull seen less than
    /// `lastSeenResolutionMilliseconds` after the recorded visit writes nothing, so a pull that changes
    /// nothing else costs no disk write or fsync.
    func touch(_ device: Device, offset: Int64?) throws {
        let now = clock.nowMilliseconds()
        if offset == nil, let seen = device.lastSeen, now >= seen, now - seen < Self.lastSeenResolutionMilliseconds { return }
        try db.run("UPDATE devices SET last_seen = ?, clock_offset_ms = coalesce(?, clock_offset_ms) WHERE id = ?",
                   now, offset, device.id)
    }

    static let lastSeenResolutionMilliseconds: Int64 = 30_000
}

extension Device {
    init(_ row: Row) {
        self.init(id: row.string(0), evaluator: row.string(1), enrolledAt: row.int64(2), revokedAt: row[3].int64,
                  lastSeen: row[4].int64, clockOffset: row[5].int64)
    }
}

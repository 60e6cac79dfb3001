/// PBKDF2 key derivation (RFC 8018 section 5.2), used to store enrolment secrets and passwords.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc8018#section-5.2, test vectors: https://www.rfc-editor.org/rfc/rfc7914#section-11
public enum PBKDF2 {
    /// Derives `keyLength` bytes with HMAC-SHA256 as the PRF; `iterations` must be at least 1.
    ///
    /// The keyed HMAC states are computed once, so each iteration costs two SHA-256 compressions.
    public static func hmacSHA256(password: [UInt8], salt: [UInt8], iterations: Int, keyLength: Int) -> [UInt8] {
        precondition(iterations >= 1, "PBKDF2 needs at least one iteration")
        precondition(keyLength >= 0, "PBKDF2 key length cannot be negative")
        let digestLength = SHA256.digestByteCount
        let blockCount = (keyLength + digestLength - 1) / digestLength
        precondition(blockCount <= Int(UInt32.max), "PBKDF2 key length too large (RFC 8018 section 5.2 step 1)")
        guard blockCount > 0 else { return [] }
        let prf = HMACSHA256.KeyedState(key: password)
        var derived: [UInt8] = []
        derived.reserveCapacity(blockCount * digestLength)

        withUnsafeTemporaryAllocation(byteCount: 2 * digestLength, alignment: 8) { scratch in
            let u = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<digestLength])
            let t = UnsafeMutableRawBufferPointer(rebasing: scratch[digestLength..<(2 * digestLength)])
            for blockIndex in 1...blockCount {
                // U1 = PRF(P, S || INT(i))
                var inner = prf.inner
                inner.update(salt)
                var index = UInt32(blockIndex).bigEndian
                withUnsafeBytes(of: &index) { inner.update($0) }
                prf.finish(inner, into: u)
                t.copyMemory(from: UnsafeRawBufferPointer(u))
                // Uj = PRF(P, Uj-1); T = U1 ^ U2 ^ … ^ Uc
                for _ in 1..<iterations {
                    var next = prf.inner
                    next.update(UnsafeRawBufferPointer(u))
                    prf.finish(next, into: u)
                    for word in 0..<(digestLength / 8) {
                        let offset = word &* 8
                        let mixed = t.load(fromByteOffset: offset, as: UInt64.self)
                            ^ u.load(fromByteOffset: offset, as: UInt64.self)
                        t.storeBytes(of: mixed, toByteOffset: offset, as: UInt64.self)
                    }
                }
                derived.append(contentsOf: t)
            }
        }
        derived.removeLast(derived.count - keyLength)
        return derived
    }
}

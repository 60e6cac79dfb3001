/// HMAC with SHA-256 as the hash function (RFC 2104), the PRF behind request signatures and PBKDF2.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc2104, test vectors: https://www.rfc-editor.org/rfc/rfc4231
public enum HMACSHA256 {
    /// Returns the 32-byte tag of `message` under `key`; keys longer than 64 bytes are hashed first.
    public static func authenticate(_ message: some Sequence<UInt8>, key: [UInt8]) -> [UInt8] {
        let keyed = KeyedState(key: key)
        var inner = keyed.inner
        inner.update(message)
        return keyed.finish(inner)
    }

    /// Checks a full 32-byte tag in constant time; truncated tags are rejected.
    public static func isValid(_ mac: [UInt8], for message: some Sequence<UInt8>, key: [UInt8]) -> Bool {
        ConstantTime.equals(mac, authenticate(message, key: key))
    }

    /// The inner and outer hashers with the padded key already absorbed, so each tag costs two
    /// compressions less and PBKDF2 never rehashes the password (RFC 2104 section 4, "precomputed").
    struct KeyedState {
        /// SHA-256 after absorbing `K XOR ipad`.
        let inner: SHA256
        /// SHA-256 after absorbing `K XOR opad`.
        let outer: SHA256

        init(key: [UInt8]) {
            var inner = SHA256()
            var outer = SHA256()
            withUnsafeTemporaryAllocation(byteCount: SHA256.blockByteCount, alignment: 8) { block in
                block.initializeMemory(as: UInt8.self, repeating: 0)
                if key.count > SHA256.blockByteCount {
                    var hasher = SHA256()
                    hasher.update(key)
                    hasher.finalize(into: block)
                } else {
                    key.withUnsafeBytes { block.copyMemory(from: $0) }
                }
                for index in 0..<block.count { block[index] ^= 0x36 }
                inner.update(UnsafeRawBufferPointer(block))
                for index in 0..<block.count { block[index] ^= 0x36 ^ 0x5c }
                outer.update(UnsafeRawBufferPointer(block))
            }
            self.inner = inner
            self.outer = outer
        }

        /// Completes a tag whose message has been absorbed into a copy of `inner`.
        func finish(_ inner: SHA256) -> [UInt8] {
            [UInt8](unsafeUninitializedCapacity: SHA256.digestByteCount) { output, initialized in
                finish(inner, into: UnsafeMutableRawBufferPointer(output))
                initialized = SHA256.digestByteCount
            }
        }

        /// Completes a tag into caller-provided memory (at least 32 bytes) without allocating.
        func finish(_ inner: SHA256, into output: UnsafeMutableRawBufferPointer) {
            inner.finalize(into: output)
            var outer = self.outer
            outer.update(UnsafeRawBufferPointer(rebasing: output[0..<SHA256.digestByteCount]))
            outer.finalize(into: output)
        }
    }
}

/// Cryptographically secure random values from the system generator (`getrandom(2)` on Linux).
///
/// See https://developer.apple.com/documentation/swift/systemrandomnumbergenerator
public enum SecureRandom {
    /// Returns `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom byte count cannot be negative")
        var generator = SystemRandomNumberGenerator()
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = 0
            while index < count {
                var word = generator.next()
                let take = min(8, count - index)
                withUnsafeBytes(of: &word) { word in
                    for offset in 0..<take { buffer[index + offset] = word[offset] }
                }
                index += take
            }
            initialized = count
        }
    }

    /// Returns `byteCount` random bytes as lowercase hex (twice as many characters).
    public static func hex(_ byteCount: Int) -> String {
        Hex.encode(bytes(byteCount))
    }

    /// Returns a random version 4 UUID in lowercase 8-4-4-4-12 form (RFC 9562 section 5.4).
    ///
    /// Spec: https://www.rfc-editor.org/rfc/rfc9562#section-5.4
    public static func uuid() -> String {
        var raw = bytes(16)
        raw[6] = (raw[6] & 0x0f) | 0x40  // version 4
        raw[8] = (raw[8] & 0x3f) | 0x80  // variant 10xx
        return formatted(raw)
    }

    /// Returns a version 7 UUID (RFC 9562 section 5.7) in lowercase 8-4-4-4-12 form: `milliseconds`
    /// (Unix time, clamped to the 48 bits the field holds) big-endian in the first 48 bits, then the
    /// version, 12 random bits, the variant and 62 random bits. Ids made later sort after earlier ones, so
    /// an index on them grows at its end instead of at random places: with 3,000,000 events, random
    /// (version 4) ids made every insert and lookup miss the page cache (docs/BENCHMARKS.md, B4).
    ///
    /// Spec: https://www.rfc-editor.org/rfc/rfc9562#section-5.7
    public static func uuid7(milliseconds: Int64) -> String {
        uuid7(milliseconds: milliseconds, random: bytes(10))
    }

    /// The version 7 UUID of `milliseconds` whose last 10 bytes come from `random` (exactly 10 bytes), less
    /// the 6 bits the version and the variant overwrite. For seeded generators (the benchmarks), which must
    /// write the same ids on every run; product code calls `uuid7(milliseconds:)`.
    public static func uuid7(milliseconds: Int64, random: [UInt8]) -> String {
        precondition(random.count == 10, "a version 7 UUID takes 10 random bytes")
        let time = UInt64(clamping: max(0, min(milliseconds, (1 << 48) - 1)))
        var raw = (0..<6).map { UInt8(truncatingIfNeeded: time >> (8 * (5 - $0))) } + random
        raw[6] = (raw[6] & 0x0f) | 0x70  // version 7
        raw[8] = (raw[8] & 0x3f) | 0x80  // variant 10xx
        return formatted(raw)
    }

    /// 16 bytes as lowercase hex in the 8-4-4-4-12 form.
    private static func formatted(_ raw: [UInt8]) -> String {
        let hex = Array(Hex.encode(raw).utf8)
        var output: [UInt8] = []
        output.reserveCapacity(36)
        for (index, character) in hex.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { output.append(UInt8(ascii: "-")) }
            output.append(character)
        }
        return String(decoding: output, as: UTF8.self)
    }
}

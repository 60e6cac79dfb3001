/// Incremental SHA-256 as specified by FIPS 180-4 section 6.2.
///
/// Blocks are compressed straight from the caller's memory or from a fixed-size inline buffer,
/// so hashing allocates nothing but the 32-byte digest. Spec: https://doi.org/10.6028/NIST.FIPS.180-4
public struct SHA256: Sendable {
    /// Length of a digest in bytes.
    public static let digestByteCount = 32
    /// Length of a message block in bytes.
    public static let blockByteCount = 64

    /// The eight working hash words H0…H7 (FIPS 180-4 section 5.3.3 gives their initial values).
    struct State {
        var h0: UInt32 = 0x6a09_e667
        var h1: UInt32 = 0xbb67_ae85
        var h2: UInt32 = 0x3c6e_f372
        var h3: UInt32 = 0xa54f_f53a
        var h4: UInt32 = 0x510e_527f
        var h5: UInt32 = 0x9b05_688c
        var h6: UInt32 = 0x1f83_d9ab
        var h7: UInt32 = 0x5be0_cd19
    }

    private var state = State()
    /// A partial block, 64 bytes stored inline so copying a hasher never touches the heap.
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingCount = 0
    private var messageByteCount: UInt64 = 0

    /// Starts a new hash with the FIPS 180-4 initial hash value.
    public init() {}

    /// Absorbs raw bytes; the fastest entry point, used by every other `update`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var source = bytes.baseAddress, !bytes.isEmpty else { return }
        var remaining = bytes.count
        messageByteCount &+= UInt64(remaining)

        if pendingCount > 0 {
            let take = min(Self.blockByteCount - pendingCount, remaining)
            let offset = pendingCount
            withUnsafeMutableBytes(of: &pending) { block in
                (block.baseAddress! + offset).copyMemory(from: source, byteCount: take)
            }
            pendingCount += take
            source += take
            remaining -= take
            guard pendingCount == Self.blockByteCount else { return }
            let block = pending
            withUnsafeBytes(of: block) { Self.compress(&state, blocks: $0.baseAddress!, count: 1) }
            pendingCount = 0
        }

        let wholeBlocks = remaining / Self.blockByteCount
        if wholeBlocks > 0 {
            Self.compress(&state, blocks: source, count: wholeBlocks)
            source += wholeBlocks * Self.blockByteCount
            remaining -= wholeBlocks * Self.blockByteCount
        }

        if remaining > 0 {
            let tail = remaining
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.copyMemory(from: source, byteCount: tail)
            }
            pendingCount = tail
        }
    }

    /// Absorbs a byte sequence; arrays, slices and other contiguous collections take the pointer fast path.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let absorbed: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            update(UnsafeRawBufferPointer(buffer))
        }
        if absorbed != nil { return }
        // Non-contiguous sequences are staged through a small stack buffer.
        withUnsafeTemporaryAllocation(byteCount: 256, alignment: 8) { staging in
            var filled = 0
            for byte in bytes {
                staging[filled] = byte
                filled += 1
                if filled == staging.count {
                    update(UnsafeRawBufferPointer(staging))
                    filled = 0
                }
            }
            if filled > 0 {
                update(UnsafeRawBufferPointer(rebasing: staging[0..<filled]))
            }
        }
    }

    /// Absorbs the UTF-8 encoding of `string`, exactly as stored (no normalisation).
    public mutating func update(_ string: String) {
        var text = string
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Returns the 32-byte digest of everything absorbed so far; the hasher itself is left unchanged.
    public func finalize() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: Self.digestByteCount) { output, initialized in
            finalize(into: UnsafeMutableRawBufferPointer(output))
            initialized = Self.digestByteCount
        }
    }

    /// Writes the digest into the first 32 bytes of `output` without allocating (used by HMAC and PBKDF2).
    func finalize(into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count >= Self.digestByteCount, "SHA256 digest needs 32 bytes")
        var copy = self
        let bitLength = messageByteCount &<< 3
        // Padding (FIPS 180-4 section 5.1.1): 0x80, zeros up to 56 mod 64, then the 64-bit length.
        let zeroCount = pendingCount < 56 ? 55 - pendingCount : 119 - pendingCount
        var padding: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                      UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &padding) { pad in
            pad[0] = 0x80
            pad.storeBytes(of: bitLength.bigEndian, toByteOffset: 1 + zeroCount, as: UInt64.self)
            copy.update(UnsafeRawBufferPointer(rebasing: pad[0..<(9 + zeroCount)]))
        }
        let s = copy.state
        output.storeBytes(of: s.h0.bigEndian, toByteOffset: 0, as: UInt32.self)
        output.storeBytes(of: s.h1.bigEndian, toByteOffset: 4, as: UInt32.self)
        output.storeBytes(of: s.h2.bigEndian, toByteOffset: 8, as: UInt32.self)
        output.storeBytes(of: s.h3.bigEndian, toByteOffset: 12, as: UInt32.self)
        output.storeBytes(of: s.h4.bigEndian, toByteOffset: 16, as: UInt32.self)
        output.storeBytes(of: s.h5.bigEndian, toByteOffset: 20, as: UInt32.self)
        output.storeBytes(of: s.h6.bigEndian, toByteOffset: 24, as: UInt32.self)
        output.storeBytes(of: s.h7.bigEndian, toByteOffset: 28, as: UInt32.self)
    }

    /// One-shot digest of a byte sequence.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// One-shot digest of the UTF-8 encoding of `string`.
    public static func hash(_ string: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(string)
        return hasher.finalize()
    }
}

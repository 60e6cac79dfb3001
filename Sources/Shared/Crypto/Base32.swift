/// Base32 with the RFC 4648 section 6 alphabet, unpadded, for codes that people read aloud and type.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc4648#section-6
public enum Base32 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes `bytes` in uppercase without `=` padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.underestimatedCount * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bitCount = 0
        alphabet.withUnsafeBufferPointer { alphabet in
            for byte in bytes {
                buffer = (buffer &<< 8) | UInt32(byte)
                bitCount += 8
                while bitCount >= 5 {
                    bitCount -= 5
                    output.append(alphabet[Int((buffer &>> UInt32(bitCount)) & 0x1f)])
                }
            }
            if bitCount > 0 {
                output.append(alphabet[Int((buffer &<< UInt32(5 - bitCount)) & 0x1f)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes a typed code: letters in either case, spaces and `-` ignored.
    ///
    /// Returns nil for any other character (including `=`, `0`, `1`, `8`, `9`), for a length no encoding
    /// produces (1, 3 or 6 symbols past a multiple of 8), or when the unused trailing bits are not zero,
    /// so that a decoded code always re-encodes to the same symbols.
    public static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bitCount = 0
        var symbolCount = 0
        for character in text.utf8 {
            let value: UInt8
            switch character {
            case UInt8(ascii: " "), UInt8(ascii: "-"): continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = character &- UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = character &- UInt8(ascii: "a")
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = character &- UInt8(ascii: "2") &+ 26
            default: return nil
            }
            symbolCount += 1
            buffer = (buffer &<< 5) | UInt32(value)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: buffer &>> UInt32(bitCount)))
            }
            buffer &= (1 &<< UInt32(bitCount)) &- 1
        }
        switch symbolCount % 8 {
        case 1, 3, 6: return nil
        default: break
        }
        guard buffer == 0 else { return nil }
        return output
    }

    /// Encodes `bytes` and joins groups of `groupSize` symbols with `-`, e.g. `ABCD-EFGH-IJ` for enrolment codes.
    public static func grouped(_ bytes: [UInt8], groupSize: Int = 4) -> String {
        precondition(groupSize > 0, "Base32 group size must be positive")
        let symbols = Array(encode(bytes).utf8)
        var output: [UInt8] = []
        output.reserveCapacity(symbols.count + symbols.count / groupSize)
        for (index, symbol) in symbols.enumerated() {
            if index > 0 && index % groupSize == 0 { output.append(UInt8(ascii: "-")) }
            output.append(symbol)
        }
        return String(decoding: output, as: UTF8.self)
    }
}

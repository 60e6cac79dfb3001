/// Base16 encoding of bytes as in RFC 4648 section 8, written in lowercase.
///
/// Spec: https://www.rfc-editor.org/rfc/rfc4648#section-8
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Encodes `bytes` as lowercase hexadecimal, two characters per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        digits.withUnsafeBufferPointer { digits in
            for byte in bytes {
                output.append(digits[Int(byte &>> 4)])
                output.append(digits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes hexadecimal text in either case; returns nil for an odd length or any non-hex character.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = text.utf8
        guard utf8.count % 2 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 2)
        var high: UInt8?
        for character in utf8 {
            guard let nibble = nibble(character) else { return nil }
            if let h = high {
                output.append(h &<< 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return output
    }

    /// The value of one ASCII hex digit, or nil.
    static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character &- UInt8(ascii: "A") &+ 10
        default: nil
        }
    }
}

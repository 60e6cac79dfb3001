/// Comparisons whose running time does not depend on where secret bytes differ.
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes; only the lengths (which are not secret) may end the comparison early.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for index in 0..<a.count {
                    difference |= a[index] ^ b[index]
                }
            }
        }
        return difference == 0
    }
}

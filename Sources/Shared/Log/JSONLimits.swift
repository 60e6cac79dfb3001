/// Size limits the JSON parser enforces on untrusted input before and while it builds a value.
public struct JSONLimits: Sendable, Equatable {
    /// Deepest allowed nesting of arrays and objects; a top-level scalar has depth 0, `[]` depth 1.
    public var maxDepth: Int
    /// Largest accepted document, in bytes.
    public var maxBytes: Int
    /// Longest accepted string or object key, counted in UTF-8 bytes after unescaping.
    public var maxStringBytes: Int

    public init(maxDepth: Int, maxBytes: Int, maxStringBytes: Int) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
        self.maxStringBytes = maxStringBytes
    }

    /// Depth 64, documents up to 4 MiB, strings up to 1 MiB.
    public static let `default` = JSONLimits(maxDepth: 64, maxBytes: 4 << 20, maxStringBytes: 1 << 20)
}

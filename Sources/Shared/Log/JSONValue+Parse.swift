extension JSONValue {
    /// Parses exactly one RFC 8259 value from untrusted bytes, restricted to integers and enforcing `limits`.
    ///
    /// Rejected: a byte order mark, invalid UTF-8 (overlong forms, encoded surrogates, code points above
    /// U+10FFFF, truncated sequences), raw control characters in strings, unknown escapes, unpaired UTF-16
    /// surrogate escapes, leading zeros, `-0`, `+`, fractions, exponents, integers outside Int64,
    /// duplicate object keys, and anything but space, tab, LF or CR around the value.
    /// The parser is iterative, so nesting costs heap, never stack. Spec: https://www.rfc-editor.org/rfc/rfc8259
    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parseBuffer(buffer, limits: limits) }
        }
        if let result { return try result.get() }
        if bytes.count > limits.maxBytes { throw JSONParser.tooLarge(limits) }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parseBuffer(buffer, limits: limits) }
        }.get()
    }

    /// Parses the UTF-8 bytes of `text`; see `parse(_:limits:)` for what is rejected.
    public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONParseError) -> JSONValue {
        var text = text
        return try text.withUTF8 { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parseBuffer(buffer, limits: limits) }
        }.get()
    }

    private static func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>, limits: JSONLimits) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(input: buffer, limits: limits)
        return try parser.parseDocument()
    }
}

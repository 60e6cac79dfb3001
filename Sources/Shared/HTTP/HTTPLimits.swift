/// Size limits `HTTPParser` enforces on untrusted requests before it buffers them.
///
/// Modelled on the limits RFC 9112 §3 and RFC 9110 §5.4 leave to the server, with the usual answers:
/// 414 for an overlong target, 431 for too much header, 413 for too much body.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line, CRLF excluded. Over it: 414 when the method was read (the target is what
    /// is long), 400 otherwise.
    public var maxRequestLineBytes: Int
    /// Largest header section (all field lines with their CRLFs and the final empty line). Over it: 431.
    public var maxHeaderBytes: Int
    /// Most header fields in one request. Over it: 431.
    public var maxHeaderCount: Int
    /// Largest body. A larger declared `Content-Length` is answered 413 before any of the body is read.
    public var maxBodyBytes: Int

    public init(
        maxRequestLineBytes: Int = 8 << 10,
        maxHeaderBytes: Int = 64 << 10,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = (8 << 20) + (64 << 10)
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }

    /// Request line 8 KiB, header section 64 KiB and 100 fields, body 8 MiB + 64 KiB (a full push batch
    /// plus its envelope).
    public static let `default` = HTTPLimits()
}

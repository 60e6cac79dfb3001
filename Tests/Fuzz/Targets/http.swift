// libFuzzer target `http`: the incremental HTTP/1.1 request parser (Sources/Shared/HTTP/HTTPParser.swift).
//
// The input is the byte stream a client sends on one connection. It is parsed twice, with the
// production limits and with tiny ones (so the 414/431/413 branches are reachable from short
// inputs), and each time fed whole and then one byte at a time, draining `next()` after every feed
// until `needMoreData` or a failure. Both feedings must see the same requests and agree on whether
// the connection fails: framing must not depend on how TCP splits the stream.
import Glibc
import Shared

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = inputBytes(data, size)
    for limits in [HTTPLimits.default, tinyLimits] {
        let whole = ParseOutcome(parsing: [bytes[...]], limits: limits)
        let oneByOne = ParseOutcome(parsing: bytes.indices.map { bytes[$0...$0] }, limits: limits)
        if !strict, isKnownRequestLineIssue(bytes, whole, oneByOne, limits) { continue }
        invariant(whole.requests == oneByOne.requests,
                  "requests differ when fed whole (\(whole.requests.count)) and byte by byte (\(oneByOne.requests.count))")
        invariant((whole.failure == nil) == (oneByOne.failure == nil),
                  "whole: \(whole.failure?.description ?? "no failure"), byte by byte: \(oneByOne.failure?.description ?? "no failure")")
    }
    return 0
}

/// `FUZZ_STRICT=1` turns off the tolerance for known, reported issues below.
private let strict = getenv("FUZZ_STRICT") != nil

/// Known issue, reported (Tests/Fuzz/crashes/http/request-line-at-limit-split-after-cr*,
/// FuzzRegressionTests): a request line of exactly `maxRequestLineBytes` is accepted when its CRLF
/// arrives in one read, but refused 414/400 when a read ends between CR and LF, because the check
/// on a line still waiting for its LF counts the CR. Tolerated so the fuzzer can look for other
/// bugs; delete this once HTTPParser is fixed.
private func isKnownRequestLineIssue(_ bytes: [UInt8], _ whole: ParseOutcome, _ oneByOne: ParseOutcome, _ limits: HTTPLimits) -> Bool {
    guard let failure = oneByOne.failure, failure.status == 414 || failure.status == 400,
          whole.requests.starts(with: oneByOne.requests)
    else { return false }
    return bytes.split(separator: 0x0A).contains { line in
        line.count == limits.maxRequestLineBytes + 1 && line.last == 0x0D
    }
}

private let tinyLimits = HTTPLimits(maxRequestLineBytes: 48, maxHeaderBytes: 160, maxHeaderCount: 4, maxBodyBytes: 64)

/// What one connection's bytes parse to: the complete requests, then the failure if any.
private struct ParseOutcome {
    struct Request: Equatable {
        let method: String
        let target: String
        let path: String
        let query: [String: String]
        let version: HTTPVersion
        let headers: [String]
        let body: [UInt8]
        let keepAlive: Bool
        let host: String?
    }

    var requests: [Request] = []
    var failure: HTTPError?

    init(parsing chunks: [ArraySlice<UInt8>], limits: HTTPLimits) {
        var parser = HTTPParser(limits: limits, remoteAddress: "127.0.0.1:1")
        var continueAnnounced = false
        feeding: for chunk in chunks {
            parser.feed(chunk)
            while true {
                switch parser.next() {
                case .needMoreData:
                    continue feeding
                case .expectContinue:
                    invariant(!continueAnnounced, "expectContinue given twice for one request")
                    continueAnnounced = true
                    invariant(parser.phase == .body, "expectContinue outside the body phase")
                case .request(let request):
                    check(request, limits: limits)
                    requests.append(Request(
                        method: request.method, target: request.target, path: request.path, query: request.query,
                        version: request.version, headers: request.headers.map { "\($0.name): \($0.value)" },
                        body: request.body, keepAlive: request.wantsKeepAlive, host: request.header("host")
                    ))
                    continueAnnounced = false
                case .failure(let error):
                    invariant((400...599).contains(error.status), "failure with status \(error.status)")
                    if case .failure(let again) = parser.next() {
                        invariant(again == error, "a failed parser changed its failure")
                    } else {
                        invariant(false, "a failed parser recovered")
                    }
                    failure = error
                    return
                }
            }
        }
    }

    private func check(_ request: HTTPRequest, limits: HTTPLimits) {
        invariant(!request.method.isEmpty, "empty method")
        invariant(request.path.hasPrefix("/"), "path \(request.path.debugDescription) does not start with /")
        invariant(request.target.utf8.count <= limits.maxRequestLineBytes, "target longer than the request line limit")
        invariant(request.headers.count <= limits.maxHeaderCount, "\(request.headers.count) header fields accepted")
        invariant(request.body.count <= limits.maxBodyBytes, "body of \(request.body.count) bytes accepted")
        for (name, value) in request.headers {
            invariant(!name.isEmpty, "empty field name")
            invariant(!value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }, "CR, LF or NUL in a field value")
        }
        let lengths = request.headers.filter { $0.name.lowercased() == "content-length" }
        invariant(lengths.count <= 1, "\(lengths.count) Content-Length fields accepted")
        invariant(request.header("transfer-encoding") == nil, "Transfer-Encoding accepted")
        if let length = lengths.first {
            invariant(Int(length.value) == request.body.count, "Content-Length \(length.value) with a body of \(request.body.count) bytes")
        } else {
            invariant(request.body.isEmpty, "body without Content-Length")
        }
    }
}

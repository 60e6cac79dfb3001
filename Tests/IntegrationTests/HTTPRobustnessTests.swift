import Foundation
import Testing
import TestSupport
@testable import Shared

/// Malformed and hostile requests against the real `grille-server`: each gets the right 4xx (or a
/// timeout close), and the server keeps serving other clients meanwhile.
@Suite(.serialized) struct HTTPRobustnessTests {
    static func enrolledToken(_ server: ServerHarness) throws -> String {
        let code = try server.cli(["enroll", "ev-0101", "--by", ServerHarness.coordinator]).stdout.trimmingWhitespace()
        let client = try RawHTTPClient(port: server.port)
        let body = JSONValue.object(["code": .string(code), "device": "dev-robust"]).canonicalString
        try client.send("POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let answer = try client.readResponse()
        return try JSONValue.parse(answer.body)["token"]?.stringValue ?? ""
    }

    static func post(_ path: String, _ body: String, token: String? = nil, extra: String = "") -> String {
        let auth = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        return "POST \(path) HTTP/1.1\r\nHost: t\r\n\(auth)\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func malformedRequestsGetTheRight4xxAndTheServerKeepsServing() throws {
        let tmp = TemporaryDirectory("robust")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let token = try Self.enrolledToken(server)
        #expect(token.count == 64)

        // A client sending one byte per second, started first: it must not stop anyone else.
        let slow = try RawHTTPClient(port: server.port, timeout: 30)
        let slowStart = Date()
        let slowThread = Thread {
            for byte in Array("GET /v1/health HTTP/1.1\r\nHost: slow\r\n".utf8) {
                if (try? slow.send([byte])) == nil { return }
                sleep(1)
            }
        }
        slowThread.start()

        let event = Event(id: "e-1", entity: "grid/ndrc-e4-ccf/2026/02614001/final", field: "note", value: 29,
                          hlc: HybridLogicalClock(wall: 1, counter: 0, device: "dev-robust"), author: "ev-0101", prev: [])
        let tooMany = JSONValue.object(["events": .array(Array(repeating: event.json, count: SyncProtocol.maxPushEvents + 1))]).canonicalString
        var invalidUTF8 = Array(Self.post("/v1/sync/push", "{\"events\":[\"\u{1}\"]}", token: token).utf8)
        invalidUTF8[invalidUTF8.count - 4] = 0xFF
        let hugeHeader = "GET /v1/health HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "a", count: 70_000))\r\n\r\n"
        let manyHeaders = "GET /v1/health HTTP/1.1\r\nHost: t\r\n" + (0..<101).map { "X-\($0): v\r\n" }.joined() + "\r\n"
        let cases: [(name: String, request: [UInt8], status: Int, code: String?)] = [
            ("bad request line", Array("GARBAGE\r\n\r\n".utf8), 400, nil),
            ("no version", Array("GET /v1/health\r\n\r\n".utf8), 400, nil),
            ("HTTP/2.0", Array("GET /v1/health HTTP/2.0\r\nHost: t\r\n\r\n".utf8), 505, nil),
            ("no Host", Array("GET /v1/health HTTP/1.1\r\n\r\n".utf8), 400, nil),
            ("huge header", Array(hugeHeader.utf8), 431, nil),
            ("101 header fields", Array(manyHeaders.utf8), 431, nil),
            ("overlong target", Array("GET /\(String(repeating: "a", count: 9_000)) HTTP/1.1\r\nHost: t\r\n\r\n".utf8), 414, nil),
            ("duplicate Content-Length", Array("POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}".utf8), 400, nil),
            ("conflicting Content-Length", Array("POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}".utf8), 400, nil),
            ("Content-Length -1", Array("POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n".utf8), 400, nil),
            ("Content-Length +5", Array("POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\n12345".utf8), 400, nil),
            ("length and Transfer-Encoding", Array("POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}".utf8), 400, nil),
            ("chunked body", Array("POST /v1/enroll HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n".utf8), 501, nil),
            ("body over the cap", Array("POST /v1/sync/push HTTP/1.1\r\nHost: t\r\nContent-Length: 20000000\r\n\r\n".utf8), 413, nil),
            ("CR in a header value", Array("GET /v1/health HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n".utf8), 400, nil),
            ("NUL in a header name", Array("GET /v1/health HTTP/1.1\r\nHost: t\r\nX\u{0}A: b\r\n\r\n".utf8), 400, nil),
            ("obs-fold", Array("GET /v1/health HTTP/1.1\r\nHost: t\r\nX-A: a\r\n b\r\n\r\n".utf8), 400, nil),
            ("bad JSON", Array(Self.post("/v1/sync/push", "{\"events\": [", token: token).utf8), 400, "bad_json"),
            ("wrong types", Array(Self.post("/v1/sync/push", "{\"events\": \"many\"}", token: token).utf8), 400, "bad_request"),
            ("unknown fields", Array(Self.post("/v1/sync/push", "{\"events\": [], \"extra\": 1}", token: token).utf8), 400, "bad_request"),
            ("invalid UTF-8", invalidUTF8, 400, "bad_json"),
            ("10,001 events in one batch", Array(Self.post("/v1/sync/push", tooMany, token: token).utf8), 413, "too_many_events"),
            ("push without a token", Array(Self.post("/v1/sync/push", "{\"events\": []}").utf8), 401, "unauthorized"),
            ("push with a wrong token", Array(Self.post("/v1/sync/push", "{\"events\": []}", token: String(repeating: "f", count: 64)).utf8), 401, "unauthorized"),
            ("pull after=-1", Array("GET /v1/sync/pull?after=-1 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8), 400, "bad_request"),
            ("pull after=abc", Array("GET /v1/sync/pull?after=abc HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8), 400, "bad_request"),
            ("unknown path", Array("GET /v2/everything HTTP/1.1\r\nHost: t\r\n\r\n".utf8), 404, "not_found"),
            ("wrong method", Array("DELETE /v1/sync/push HTTP/1.1\r\nHost: t\r\n\r\n".utf8), 405, nil),
            ("enroll with a bad code", Array(Self.post("/v1/enroll", "{\"code\":\"AAAA\",\"device\":\"dev-z\"}").utf8), 401, "invalid_code"),
            ("enroll with a missing member", Array(Self.post("/v1/enroll", "{\"code\":\"AAAA\"}").utf8), 400, "bad_request"),
        ]
        for item in cases {
            let client = try RawHTTPClient(port: server.port, timeout: 10)
            try? client.send(item.request)
            let response = try client.readResponse()
            #expect(response.status == item.status, "\(item.name): \(response.status) \(response.bodyText)")
            if let code = item.code {
                #expect((try? JSONValue.parse(response.body))?["error"]?["code"]?.stringValue == code, "\(item.name): \(response.bodyText)")
            }
            if response.status == 400 || response.status == 413 || response.status == 431 {
                #expect(response.header("Connection")?.lowercased() == "close" || item.code != nil, "\(item.name)")
            }
            // Meanwhile, another client is served normally.
            let other = try RawHTTPClient(port: server.port)
            try other.send("GET /v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try other.readResponse().status == 200)
        }
        #expect(cases.count >= 25)

        // A truncated body: the server gives up after its body deadline, without taking the server down.
        let truncated = try RawHTTPClient(port: server.port, timeout: 90)
        try truncated.send("POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"co")
        // An event with an unknown member inside a good push is refused alone, with a 200 answer.
        var odd = event.json.objectValue!
        odd["colour"] = "blue"
        let mixed = JSONValue.object(["events": .array([.object(odd)])]).canonicalString
        let client = try RawHTTPClient(port: server.port)
        try client.send(Self.post("/v1/sync/push", mixed, token: token))
        let answer = try client.readResponse()
        #expect(answer.status == 200)
        #expect((try JSONValue.parse(answer.body))["rejected"]?.arrayValue?.first?["code"]?.stringValue == "bad_event")

        // A push of about 6 MiB (under the 8 MiB cap, over the JSON parser's default) is read and answered.
        let longText = String(repeating: "x", count: 9_000)
        let big = (0..<560).map { n in
            Event(id: "big-\(n)", entity: "grid/ndrc-e4-ccf/2026/02614001/final", field: "comment/prospection.1", value: .string(longText),
                  hlc: HybridLogicalClock(wall: 1, counter: Int64(n), device: "dev-robust"), author: "ev-0101", prev: []).json
        }
        let bigBody = JSONValue.object(["events": .array(big)]).canonicalString
        #expect(bigBody.utf8.count > 5_000_000 && bigBody.utf8.count < SyncProtocol.maxPushBytes)
        let bigClient = try RawHTTPClient(port: server.port, timeout: 30)
        try bigClient.send(Self.post("/v1/sync/push", bigBody, token: token))
        let bigAnswer = try bigClient.readResponse()
        #expect(bigAnswer.status == 200, "\(bigAnswer.bodyText.prefix(300))")
        #expect((try JSONValue.parse(bigAnswer.body, limits: SyncProtocol.bodyLimits))["accepted"]?.arrayValue?.count == 560)

        // The slow client is cut by the header deadline (10 s) and never answered with a success.
        slowThread.cancel()
        let slowResponse = try? slow.readResponse()
        #expect(slowResponse == nil || slowResponse!.status == 408, "slow client: \(String(describing: slowResponse?.status))")
        #expect(Date().timeIntervalSince(slowStart) < 40)
        let afterAll = try RawHTTPClient(port: server.port)
        try afterAll.send("GET /v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try afterAll.readResponse().status == 200)
        _ = truncated
        #expect(server.log.contains("POST /v1/sync/push 200"))
    }
}

import Testing
import TestSupport
@testable import Shared

struct TeapotError: HTTPResponseError {
    var status: Int { 418 }
    var code: String { "teapot" }
    var message: String { "Je suis une théière." }
}

struct HiddenError: Error {
    let secret = "password=hunter2"
}

@Suite struct HTTPResponseTests {
    @Test func jsonIsCanonicalAndTyped() throws {
        let response = HTTPResponse.json(["b": 1, "a": "x"], status: 201)
        #expect(response.status == 201)
        #expect(response.header("content-type") == "application/json; charset=utf-8")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"a":"x","b":1}"#)
    }

    @Test func errorDocumentHasCodeAndMessage() throws {
        let response = HTTPResponse.error(status: 409, code: "conflict", message: "Déjà là.")
        let document = try JSONValue.parse(response.body)
        #expect(response.status == 409)
        #expect(document["error"]?["code"]?.stringValue == "conflict")
        #expect(document["error"]?["message"]?.stringValue == "Déjà là.")
    }

    @Test func mappedErrorsKeepTheirStatus() throws {
        let response = HTTPResponse(error: TeapotError()) { _ in Issue.record("mapped errors are not logged") }
        #expect(response.status == 418)
        #expect(try JSONValue.parse(response.body)["error"]?["code"]?.stringValue == "teapot")
    }

    @Test func unmappedErrorsAreA500ThatLogsButDoesNotLeak() throws {
        var logged: [String] = []
        let response = HTTPResponse(error: HiddenError()) { logged.append($0) }
        #expect(response.status == 500)
        #expect(try JSONValue.parse(response.body)["error"]?["code"]?.stringValue == "internal")
        #expect(!String(decoding: response.body, as: UTF8.self).contains("hunter2"))
        #expect(logged.count == 1 && logged[0].contains("hunter2"))
    }

    @Test(arguments: [(200, "OK"), (413, "Content Too Large"), (431, "Request Header Fields Too Large"), (799, "Status 799")])
    func reasonPhrases(status: Int, phrase: String) {
        #expect(HTTPResponse.reasonPhrase(for: status) == phrase)
    }

    @Test(arguments: [(0, "Thu, 01 Jan 1970 00:00:00 GMT"), (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
                      (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT")])
    func imfFixdate(seconds: Int, text: String) {
        #expect(HTTPDate.format(secondsSinceEpoch: seconds) == text)
    }

    @Test func logEntryIsOneLineWithoutQuery() {
        let entry = HTTPLogEntry(method: "POST", path: "/sync/push", status: 200, durationMilliseconds: 12.34,
                                 deviceID: "AB12", remoteAddress: "127.0.0.1:5000")
        #expect(entry.description == "127.0.0.1:5000 POST /sync/push 200 12.3ms device=AB12")
        let anonymous = HTTPLogEntry(method: "-", path: "-", status: 400, durationMilliseconds: 0.04,
                                     deviceID: nil, remoteAddress: "")
        #expect(anonymous.description == "- - - 400 0.0ms")
    }
}

@Suite struct HTTPSerializationTests {
    let server = HTTPServer(configuration: .init(), handler: { _ in .text("") }, log: { _ in })

    func text(_ response: HTTPResponse, method: String = "GET", keepAlive: Bool = true) -> (String, String?, Int) {
        let (bytes, device, status) = server.serialize(response, method: method, keepAlive: keepAlive)
        return (String(decoding: bytes, as: UTF8.self), device, status)
    }

    @Test func addsLengthDateAndConnectionAndStripsOwnedFields() {
        let response = HTTPResponse(status: 200, headers: [
            ("Content-Length", "999"), ("X-Grille-Device", "DEV1"), ("Connection", "upgrade"), ("X-Kept", "yes"),
        ], body: Array("hello".utf8))
        let (raw, device, status) = text(response, keepAlive: false)
        #expect(device == "DEV1")
        #expect(status == 200)
        #expect(raw.hasPrefix("HTTP/1.1 200 OK\r\nX-Kept: yes\r\nDate: "))
        #expect(raw.hasSuffix("GMT\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"))
        #expect(!raw.contains("999") && !raw.contains("DEV1") && !raw.contains("upgrade"))
    }

    @Test func headKeepsTheLengthButNotTheBody() {
        let (raw, _, _) = text(.text("hello"), method: "HEAD")
        #expect(raw.contains("Content-Length: 5\r\n"))
        #expect(raw.hasSuffix("\r\n\r\n"))
    }

    @Test func noContentHasNeitherLengthNorBody() {
        let (raw, _, _) = text(HTTPResponse(status: 204, body: Array("x".utf8)))
        #expect(!raw.contains("Content-Length"))
        #expect(raw.hasSuffix("Connection: keep-alive\r\n\r\n"))
    }

    @Test(arguments: [("X-Bad", "a\r\nSet-Cookie: x=1"), ("X-Bad", "a\u{0}"), ("Bad Name", "v"), ("", "v")])
    func unsafeFieldsBecomeA500(name: String, value: String) {
        let (raw, _, status) = text(HTTPResponse(status: 200, headers: [(name, value)]))
        #expect(status == 500)
        #expect(raw.hasPrefix("HTTP/1.1 500 "))
        #expect(!raw.contains("Set-Cookie"))
    }
}

@Suite struct RouterTests {
    func makeRouter() -> Router {
        var router = Router()
        router.add("GET", "/items") { _ in .text("list") }
        router.add("POST", "/items") { request in .text("created \(request.body.count)", status: 201) }
        router.add("GET", "/teapot") { _ in throw TeapotError() }
        router.add("GET", "/boom") { _ in throw HiddenError() }
        return router
    }

    func request(_ method: String, _ path: String) -> HTTPRequest {
        HTTPRequest(method: method, target: path, path: path)
    }

    @Test(arguments: [
        ("GET", "/items", 200, "list"), ("POST", "/items", 201, "created 0"), ("HEAD", "/items", 200, "list"),
    ])
    func matchesExactPathAndMethod(method: String, path: String, status: Int, body: String) {
        let response = makeRouter().handle(request(method, path))
        #expect(response.status == status)
        #expect(String(decoding: response.body, as: UTF8.self) == body)
    }

    @Test(arguments: ["/item", "/items/", "/ITEMS", "/"])
    func unknownPathIs404(path: String) throws {
        let response = makeRouter().handle(request("GET", path))
        #expect(response.status == 404)
        #expect(try JSONValue.parse(response.body)["error"]?["code"]?.stringValue == "not_found")
    }

    @Test(arguments: ["DELETE", "get", "PUT"])
    func otherMethodIs405WithAllow(method: String) throws {
        let response = makeRouter().handle(request(method, "/items"))
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, HEAD, POST")
        #expect(try JSONValue.parse(response.body)["error"]?["code"]?.stringValue == "method_not_allowed")
    }

    @Test func thrownErrorsAreMapped() {
        #expect(makeRouter().handle(request("GET", "/teapot")).status == 418)
        #expect(makeRouter().handle(request("GET", "/boom")).status == 500)
    }
}

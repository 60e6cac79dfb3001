import Testing
@testable import Shared

@Suite struct HTTPForwardedTests {
    func request(from peer: String, _ headers: [(String, String)]) -> HTTPRequest {
        HTTPRequest(method: "GET", target: "/", path: "/", headers: headers.map { (name: $0.0, value: $0.1) }, remoteAddress: peer)
    }

    @Test func aLoopbackProxyIsBelieved() {
        let r = request(from: "127.0.0.1:5555", [("X-Forwarded-For", "10.1.2.3, 192.0.2.7"), ("X-Forwarded-Proto", "https")]).forwarded()
        #expect(r.remoteAddress == "192.0.2.7")
        #expect(r.isSecure)
    }

    @Test func anotherPeerIsNotBelievedAndGarbageIsIgnored() {
        let far = request(from: "192.0.2.9:4444", [("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-Proto", "https")]).forwarded()
        #expect(far.remoteAddress == "192.0.2.9:4444")
        #expect(!far.isSecure)
        let garbage = request(from: "127.0.0.1:1", [("X-Forwarded-For", "<script>")]).forwarded()
        #expect(garbage.remoteAddress == "127.0.0.1:1")
    }
}

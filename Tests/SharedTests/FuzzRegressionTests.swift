import Foundation
import Testing
@testable import Shared

/// Inputs the libFuzzer targets found (Tests/Fuzz/crashes/<target>/, docs/RELIABILITY.md "Fuzzing"),
/// replayed through the entry point the target fuzzes, each expecting a clean answer: a refusal
/// with its error, never a trap or a framing that depends on how the bytes were read.
@Suite struct FuzzRegressionTests {
    static let crashes = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fuzz/crashes", isDirectory: true)

    /// File names under `crashes/<target>`, sorted (none when the target found nothing).
    static func inputs(_ target: String) -> [String] {
        let directory = crashes.appendingPathComponent(target).path
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    static func bytes(_ target: String, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: crashes.appendingPathComponent(target).appendingPathComponent(name)))
    }

    // MARK: - http

    /// The limits of the `http` target besides the production ones.
    static let tinyHTTPLimits = HTTPLimits(maxRequestLineBytes: 48, maxHeaderBytes: 160, maxHeaderCount: 4, maxBodyBytes: 64)

    /// Requests (as method, target and body) and the final refusal status of one connection's bytes.
    static func frame(_ chunks: [ArraySlice<UInt8>], limits: HTTPLimits) -> (requests: [String], failure: Int?) {
        var parser = HTTPParser(limits: limits)
        var requests: [String] = []
        for chunk in chunks {
            parser.feed(chunk)
            draining: while true {
                switch parser.next() {
                case .needMoreData: break draining
                case .expectContinue: continue
                case .request(let request): requests.append("\(request.method) \(request.target) \(request.body)")
                case .failure(let error): return (requests, error.status)
                }
            }
        }
        return (requests, nil)
    }

    @Test(arguments: inputs("http"))
    func httpInputFramesTheSameWhetherReadWholeOrByteByByte(_ name: String) throws {
        let input = try Self.bytes("http", name)
        for limits in [HTTPLimits.default, Self.tinyHTTPLimits] {
            let whole = Self.frame([input[...]], limits: limits)
            let oneByOne = Self.frame(input.indices.map { input[$0...$0] }, limits: limits)
            #expect(whole.requests == oneByOne.requests)
            #expect((whole.failure == nil) == (oneByOne.failure == nil),
                    "whole: \(whole.failure.map(String.init) ?? "no refusal"), byte by byte: \(oneByOne.failure.map(String.init) ?? "no refusal")")
        }
    }

    /// Found by the `http` target: the limit is on the line without its CRLF, so a line of exactly
    /// `maxRequestLineBytes` must not be refused because the read ended between its CR and its LF.
    @Test func requestLineOfExactlyTheLimitIsAcceptedWhenCRAndLFArriveInTwoReads() {
        let limits = HTTPLimits.default
        let prefix = "GET /", suffix = " HTTP/1.1"
        let line = prefix + String(repeating: "a", count: limits.maxRequestLineBytes - prefix.utf8.count - suffix.utf8.count) + suffix
        #expect(line.utf8.count == limits.maxRequestLineBytes)
        var parser = HTTPParser(limits: limits)
        parser.feed(Array((line + "\r").utf8))
        if case .failure(let error) = parser.next() {
            Issue.record("refused after the CR: \(error)")
        }
        parser.feed(Array("\nHost: grille.test\r\n\r\n".utf8))
        guard case .request(let request) = parser.next() else {
            Issue.record("no request once the LF arrived")
            return
        }
        #expect(request.target.utf8.count == limits.maxRequestLineBytes - prefix.utf8.count - suffix.utf8.count + 1)
    }

    // MARK: - template

    @Test(arguments: inputs("template"))
    func templateInputIsRefusedWithATemplateError(_ name: String) throws {
        let input = Data(try Self.bytes("template", name))
        #expect(throws: TemplateError.self) { try Template.decode(input, file: name) }
    }

    /// Found by the `template` target: a step too large for an `Int` of half-points must be refused
    /// as an invalid step, not trap while converting it.
    @Test(arguments: [1e19, 1e300, 4.7e18])
    func noteStepBeyondIntegerHalfPointsIsRefused(_ step: Double) throws {
        let template = #"""
        {"id":"t","version":"1","title":"T","epreuve":"E","diploma":"D","form":"F",
         "scale":[{"code":"S","label":"Satisfaisant"}],"note":{"max":20,"step":\#(step)},
         "blocks":[{"id":"b","label":"B","criteria":[{"id":"b.1","label":"C"}]}],
         "situations":[{"id":"final","label":"F","blocks":["b"],"fields":["note"],"note":true}]}
        """#
        let error = #expect(throws: TemplateError.self) { try Template.decode(Data(template.utf8), file: "t.json") }
        #expect(error?.field == "note.step")
    }
}

extension HTTPParser {
    /// `method SP request-target SP HTTP-version`, single spaces, nothing else (RFC 9112 §3).
    static func parseRequestLine(_ line: ArraySlice<UInt8>) -> Result<Head, HTTPError> {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty, !parts[2].isEmpty else { return .failure(.badRequestLine) }
        guard HTTPField.isToken(parts[0]) else { return .failure(.invalidMethod) }
        let version: HTTPVersion
        switch parseVersion(parts[2]) {
        case .success(let parsed): version = parsed
        case .failure(let error): return .failure(error)
        }
        let target = parts[1]
        guard target.first == UInt8(ascii: "/"), target.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            return .failure(.invalidTarget)
        }
        let questionMark = target.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = target[target.startIndex..<(questionMark ?? target.endIndex)]
        guard let path = HTTPTarget.decodePath(rawPath) else { return .failure(.invalidPath) }
        var query: [String: String] = [:]
        if let questionMark {
            guard let parsed = HTTPTarget.decodeQuery(target[(questionMark + 1)...]) else {
                return .failure(.invalidQuery)
            }
            query = parsed
        }
        var head = Head()
        head.method = String(decoding: parts[0], as: UTF8.self)
        head.target = String(decoding: target, as: UTF8.self)
        head.path = path
        head.query = query
        head.version = version
        return .success(head)
    }

    /// `HTTP/1.0` and `HTTP/1.1` are spoken; any other `HTTP/d.d` is 505; anything else is 400 (RFC 9112 §2.3).
    static func parseVersion(_ bytes: ArraySlice<UInt8>) -> Result<HTTPVersion, HTTPError> {
        let text = Array(bytes)
        guard text.count == 8, text[0..<5].elementsEqual("HTTP/".utf8),
              isDigit(text[5]), text[6] == UInt8(ascii: "."), isDigit(text[7]) else {
            return .failure(.badRequestLine)
        }
        switch (text[5], text[7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .success(.http11)
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .success(.http10)
        default: return .failure(.versionNotSupported)
        }
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5), with obs-fold and control characters refused.
    static func parseFieldLine(_ line: ArraySlice<UInt8>) -> Result<(name: String, value: String), HTTPError> {
        guard let first = line.first, !HTTPField.isWhitespace(first) else { return .failure(.obsFold) }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return .failure(.invalidHeader) }
        let name = line[line.startIndex..<colon]
        guard HTTPField.isToken(name) else { return .failure(.invalidHeader) }
        var value = line[(colon + 1)...]
        while let byte = value.first, HTTPField.isWhitespace(byte) { value.removeFirst() }
        while let byte = value.last, HTTPField.isWhitespace(byte) { value.removeLast() }
        guard value.allSatisfy(HTTPField.isValueByte) else { return .failure(.invalidHeader) }
        return .success((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// Checks `Host`, the body framing and `Expect` once the header section is complete; returns the body length.
    mutating func finishHead() -> Result<Int, HTTPError> {
        func values(_ name: String) -> [String] {
            head.headers.filter { HTTPField.namesEqual($0.name, name) }.map(\.value)
        }
        let hosts = values("Host")
        if hosts.count > 1 { return .failure(.duplicateHost) }
        if hosts.isEmpty && head.version == .http11 { return .failure(.missingHost) }

        let transferEncodings = values("Transfer-Encoding")
        let contentLengths = values("Content-Length")
        if !transferEncodings.isEmpty {
            return .failure(contentLengths.isEmpty ? .transferEncodingNotImplemented : .conflictingFraming)
        }
        if contentLengths.count > 1 { return .failure(.duplicateContentLength) }
        var length = 0
        if let declared = contentLengths.first {
            guard !declared.isEmpty, declared.utf8.allSatisfy(Self.isDigit) else {
                return .failure(.invalidContentLength)
            }
            for digit in declared.utf8 {
                length = length * 10 + Int(digit - UInt8(ascii: "0"))
                if length > limits.maxBodyBytes { return .failure(.payloadTooLarge) }
            }
        }

        if head.version == .http11 {
            let expectations = values("Expect").flatMap(HTTPField.listElements)
            if !expectations.isEmpty {
                guard expectations.allSatisfy({ $0 == "100-continue" }) else { return .failure(.expectationFailed) }
                head.expectsContinue = length > 0
            }
        }
        return .success(length)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

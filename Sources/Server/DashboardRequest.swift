import Foundation
import Shared

/// What the dashboard reads from a request besides the path and query: cookies, an HTML form body and
/// the client's address.
enum DashboardRequest {
    /// Form bodies larger than this are refused (a harmonisation reason is at most 10,000 characters).
    static let maxFormBytes = 64 * 1_024

    /// `Cookie: a=1; b=2` (RFC 6265 §5.4); the first value of a repeated name wins.
    static func cookies(_ request: HTTPRequest) -> [String: String] {
        var cookies: [String: String] = [:]
        for (name, value) in request.headers where name.lowercased() == "cookie" {
            for pair in value.split(separator: ";") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let key = pair[..<equals].trimmingCharacters(in: .whitespaces)
                let value = pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                if !key.isEmpty, cookies[key] == nil { cookies[key] = value }
            }
        }
        return cookies
    }

    /// An `application/x-www-form-urlencoded` body (https://url.spec.whatwg.org/#urlencoded-parsing): nil
    /// for another content type, a body over `maxFormBytes`, a bad escape, invalid UTF-8, or a control
    /// character other than tab and line breaks (a text area sends CR LF).
    static func form(_ request: HTTPRequest) -> [String: String]? {
        let type = request.header("Content-Type")?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/x-www-form-urlencoded", request.body.count <= maxFormBytes else { return nil }
        var form: [String: String] = [:]
        for pair in request.body.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard let name = decode(pair[pair.startIndex..<(equals ?? pair.endIndex)]),
                  let value = decode(equals.map { pair[($0 + 1)...] } ?? []) else { return nil }
            if form[name] == nil { form[name] = value }
        }
        return form
    }

    private static func decode(_ raw: ArraySlice<UInt8>) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < raw.endIndex, let high = hex(raw[index + 1]), let low = hex(raw[index + 2]) else { return nil }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? 0x20 : byte)
                index += 1
            }
        }
        guard !bytes.contains(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D) || $0 == 0x7F }) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.elementsEqual(bytes) else { return nil }
        return text.replacingOccurrences(of: "\r\n", with: "\n")
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The client's address without the port: the peer (`127.0.0.1:50312` → `127.0.0.1`), or the address a
    /// trusted proxy gave (`serve --trust-proxy`, already without port, possibly IPv6).
    static func clientAddress(_ request: HTTPRequest) -> String {
        let address = request.remoteAddress
        let colons = address.filter { $0 == ":" }.count
        if colons == 1, let colon = address.lastIndex(of: ":") { return String(address[..<colon]) }
        return address.isEmpty ? "?" : address
    }
}

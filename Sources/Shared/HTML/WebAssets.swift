import Foundation

/// The HTML, CSS and JavaScript files shipped in `Resources/web` (no framework, no external asset: the pages
/// work with no network at all).
///
/// Only a plain file name of `web/<area>/` is served — letters, digits, `-`, `_` and one `.` before an
/// extension of the allow-list — so no request can climb out of the folder (`..`, `/`, `%2e`, NUL) or reach
/// a file type that was not meant to be served.
public enum WebAssets {
    /// The extensions served and their `Content-Type`.
    public static let contentTypes: [String: String] = [
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "html": "text/html; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "ico": "image/x-icon",
    ]

    /// A file of `web/agent/`, the evaluator's local UI; nil when the name is not allowed or the file is absent.
    public static func agent(_ name: String) -> Data? {
        file(area: "agent", name: name)
    }

    /// A file of `web/dashboard/`, the coordinators' dashboard served by `grille-server` under /dashboard; nil
    /// when the name is not allowed or the file is absent.
    public static func dashboard(_ name: String) -> Data? {
        file(area: "dashboard", name: name)
    }

    /// The `Content-Type` of an allowed file name; nil for anything `agent(_:)` would refuse.
    public static func contentType(of name: String) -> String? {
        guard isAllowedName(name), let dot = name.lastIndex(of: ".") else { return nil }
        return contentTypes[String(name[name.index(after: dot)...])]
    }

    /// True for `name.ext` made of `[A-Za-z0-9_-]` with exactly one dot and an allowed extension, at most
    /// 64 bytes.
    public static func isAllowedName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 64, bytes.filter({ $0 == UInt8(ascii: ".") }).count == 1,
              let dot = bytes.firstIndex(of: UInt8(ascii: ".")), dot > 0, dot < bytes.count - 1 else { return false }
        let allowed = bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        let ext = String(decoding: bytes[(dot + 1)...], as: UTF8.self)
        return allowed && contentTypes[ext] != nil
    }

    static func file(area: String, name: String) -> Data? {
        guard isAllowedName(name), let resources = Bundle.module.resourceURL else { return nil }
        let folder = resources.appendingPathComponent("web", isDirectory: true).appendingPathComponent(area, isDirectory: true)
        let url = folder.appendingPathComponent(name, isDirectory: false)
        // The name check already rules out traversal; this keeps it true even for a symbolic link in the folder.
        guard url.resolvingSymlinksInPath().deletingLastPathComponent().standardizedFileURL.path
                == folder.resolvingSymlinksInPath().standardizedFileURL.path else { return nil }
        return FileManager.default.contents(atPath: url.path)
    }
}

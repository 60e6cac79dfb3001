import Foundation
import Testing
import TestSupport
@testable import Shared

/// The printable V-4 grids go through a real browser: `grille-server print grid` → headless Chromium
/// `--print-to-pdf` → `pdftoppm` PNG. Chromium and poppler-utils come from Debian; the test installs them
/// when missing (CI runs as root with apt) and skips, saying why, only when apt cannot provide them.
@Suite(.serialized) struct PrintTests {
    /// Paths of `chromium` and `pdftoppm`, installing `chromium poppler-utils` with apt-get when missing.
    static func tools() -> (chromium: String, pdftoppm: String, pdfinfo: String)? {
        func which(_ name: String) -> String? {
            for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
            return nil
        }
        func found() -> (String, String, String)? {
            guard let chromium = which("chromium") ?? which("chromium-browser"), let pdftoppm = which("pdftoppm"), let pdfinfo = which("pdfinfo") else { return nil }
            return (chromium, pdftoppm, pdfinfo)
        }
        if let tools = found() { return tools }
        let sudo = getuid() == 0 ? [] : ["sudo", "-n"]
        let script = (sudo + ["apt-get", "update", "-qq"]).joined(separator: " ") + " && "
            + (sudo + ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "--no-install-recommends",
                       "chromium", "poppler-utils", "fonts-dejavu-core"]).joined(separator: " ")
        let result = try? TestProcess.run("/bin/sh", ["-c", script], timeout: 900)
        if let tools = found() { return tools }
        print("PrintTests skipped: apt could not install chromium and poppler-utils (status \(result?.status ?? -1)): \(result?.stderr.suffix(400) ?? "")")
        return nil
    }

    @Test func aPrintedCommissionBecomesOnePDFPagePerCandidate() throws {
        guard let tools = Self.tools() else { return }
        let tmp = TemporaryDirectory("print")
        defer { tmp.remove() }
        let server = try ServerHarness(tmp)
        try server.start()
        defer { server.stop() }
        let teacher = AgentNode(tmp, "ev-0101")
        try teacher.enroll(server)
        let grid = "grid/ndrc-e4-ccf/2026/02614001/final"
        try teacher.ok("grid", "new", "--candidate", "02614001", "--template", "ndrc-e4-ccf", "--situation", "final", "--option", "evenement")
        for (c, level) in [("prospection.1", "TS"), ("prospection.2", "S"), ("prospection.3", "S"), ("prospection.4", "I"), ("evenement.1", "S"),
                           ("evenement.2", "TS"), ("evenement.3", "S"), ("information.1", "S"), ("information.2", "I")] {
            try teacher.ok("grid", "set", grid, c, level)
        }
        try teacher.ok("grid", "field", grid, "appreciation-A", "Prospection structurée, portefeuille bien analysé. <script>alert('x')</script>")
        try teacher.ok("grid", "field", grid, "appreciation-B", "Salon des métiers bien organisé ; bilan chiffré précis, relances à systématiser.")
        try teacher.ok("grid", "field", grid, "note", "14,5")
        try teacher.ok("grid", "comment", grid, "prospection.4", "Réseau LinkedIn peu activé")
        try teacher.ok("grid", "sign", grid)
        try teacher.ok("grid", "sign", grid, "--name", "BENALI Karim", "--witness")
        _ = try teacher.sync()

        let one = tmp.sub("grille.html"), all = tmp.sub("commission.html")
        let printed = try server.cli(["print", "grid", "02614001/final", "--out", one])
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(try server.cli(["print", "grid", "--commission", "cm-e4-01", "--out", all]).status == 0)
        #expect(try server.cli(["print", "fiche", "--commission", "cm-e4-01", "--out", tmp.sub("f.html")]).status == 1)   // not published
        let html = try String(contentsOfFile: one, encoding: .utf8)
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") && !html.contains("<script"))

        for (source, pages) in [(one, 1), (all, 12)] {
            let pdf = source + ".pdf"
            let chromium = try TestProcess.run(tools.chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                                                                "--user-data-dir=\(tmp.sub("chromium-profile"))", "--print-to-pdf=\(pdf)",
                                                                "file://\(source)"], timeout: 180)
            #expect(FileManager.default.fileExists(atPath: pdf), "chromium: \(chromium.stderr.suffix(600))")
            let info = try TestProcess.run(tools.pdfinfo, [pdf])
            #expect(info.stdout.contains("Pages:") && info.stdout.range(of: "Pages:\\s+\(pages)\\n", options: .regularExpression) != nil, "\(info.stdout)")
            #expect(info.stdout.contains("A4") || info.stdout.contains("595.") , "\(info.stdout)")
        }
        let png = tmp.sub("grille")
        let raster = try TestProcess.run(tools.pdftoppm, ["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", one + ".pdf", png])
        #expect(raster.status == 0, "\(raster.stderr)")
        let bytes = try #require(FileManager.default.contents(atPath: png + ".png"))
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(bytes.count > 20_000)   // a page with text, not a blank sheet
        if let keep = ProcessInfo.processInfo.environment["GRILLE_SAMPLE_PNG"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: png + ".png", toPath: keep)
        }
    }
}

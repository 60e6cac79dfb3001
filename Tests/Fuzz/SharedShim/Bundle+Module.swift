import Foundation

// Compiled into module Shared only by scripts/fuzz.sh, which builds Shared with swiftc outside
// SwiftPM: SwiftPM generates `Bundle.module` for a target with resources, swiftc alone does not.
// Never part of the production build (Package.swift does not see Tests/Fuzz).

extension Foundation.Bundle {
    /// A bundle whose `resourceURL` is `Sources/Shared/Resources`, where `templates/` lives, found
    /// from this file's path (or from `GRILLE_FUZZ_RESOURCES` when the tree has moved).
    static let module: Bundle = {
        let resources: URL
        if let override = ProcessInfo.processInfo.environment["GRILLE_FUZZ_RESOURCES"] {
            resources = URL(fileURLWithPath: override, isDirectory: true)
        } else {
            resources = URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent()  // SharedShim
                .deletingLastPathComponent()  // Fuzz
                .deletingLastPathComponent()  // Tests
                .deletingLastPathComponent()  // repository root
                .appendingPathComponent("Sources/Shared/Resources", isDirectory: true)
        }
        guard let bundle = Bundle(url: resources) else {
            fatalError("fuzz shim: no resource directory at \(resources.path)")
        }
        return bundle
    }()
}

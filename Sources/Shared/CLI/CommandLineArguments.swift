/// A usage mistake on the command line (exit code 2). The message is French, for the user.
public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Command-line arguments split into positionals, valued options and flags.
///
/// Options are written `--name value` or `--name=value` and may appear anywhere, before or after the
/// subcommand (so `--data DIR` works in both places). Only words starting with `--` are options: a
/// value such as `-1` stays a positional, so the program can refuse it with a clear message. `--` ends
/// the options.
public struct CommandLineArguments: Sendable, Equatable {
    public private(set) var positionals: [String] = []
    public private(set) var options: [String: String] = [:]
    public private(set) var flags: Set<String> = []

    /// Parses `arguments` (without the program name). `valued` lists options taking a value, `flags`
    /// those that take none; anything else starting with `--` is refused.
    public init(_ arguments: some Sequence<String>, valued: Set<String>, flags knownFlags: Set<String>) throws(UsageError) {
        var iterator = arguments.makeIterator()
        var onlyPositionals = false
        while let word = iterator.next() {
            if onlyPositionals || !word.hasPrefix("--") {
                positionals.append(word)
                continue
            }
            if word == "--" { onlyPositionals = true; continue }
            var name = String(word.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if valued.contains(name) {
                guard let value = inlineValue ?? iterator.next() else {
                    throw UsageError("L'option --\(name) attend une valeur.")
                }
                if options[name] != nil {
                    throw UsageError("L'option --\(name) est donnée deux fois.")
                }
                options[name] = value
            } else if knownFlags.contains(name) {
                guard inlineValue == nil else { throw UsageError("L'option --\(name) ne prend pas de valeur.") }
                flags.insert(name)
            } else {
                throw UsageError("Option inconnue : --\(name).")
            }
        }
    }

    public func has(_ flag: String) -> Bool { flags.contains(flag) }
    public subscript(option name: String) -> String? { options[name] }

    /// Refuses options and flags that the chosen command does not take.
    public func allowOnly(_ allowed: Set<String>, command: String) throws(UsageError) {
        let given = Set(options.keys).union(flags)
        if let extra = given.subtracting(allowed).sorted().first {
            throw UsageError("La commande « \(command) » ne prend pas l'option --\(extra).")
        }
    }

    /// Checks the number of positionals after the command words.
    public func expectPositionals(_ range: ClosedRange<Int>, after commandWords: Int, usage: String) throws(UsageError) -> [String] {
        let rest = Array(positionals.dropFirst(commandWords))
        guard range.contains(rest.count) else {
            throw UsageError("Utilisation : \(usage)")
        }
        return rest
    }
}

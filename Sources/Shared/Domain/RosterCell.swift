/// One trimmed field of a roster file and where it was read, with the checks each kind of
/// value must pass. Every check throws a ``RosterError`` naming the file, line and column.
struct RosterCell {
    let file: String
    let line: Int
    let column: String
    let text: String

    /// Longest identifier accepted, in characters.
    static let maxIdentifierLength = 64

    func failure(_ message: String) -> RosterError {
        RosterError(file: file, line: line, column: column, message: message)
    }

    /// Free text such as a name: required, without control characters.
    func requiredText() throws(RosterError) -> String {
        try requireNonEmpty()
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw failure("Caractère de contrôle (tabulation, retour à la ligne…) interdit dans ce champ : retirez-le.")
        }
        return text
    }

    /// An id that ends up in entity paths such as `grid/<template>/<session>/<candidate>/…`:
    /// ASCII letters, digits, `-`, `_` and `.`, starting with a letter or a digit, at most
    /// ``maxIdentifierLength`` characters.
    func identifier() throws(RosterError) -> String {
        try requireNonEmpty()
        try Self.checkIdentifier(text, failure: failure)
        return text
    }

    /// Items of a `;`-separated list of identifiers, each trimmed; at least one, no empty item,
    /// no item twice.
    func identifierList(of what: String) throws(RosterError) -> [String] {
        guard !text.isEmpty else {
            throw failure("Liste des \(what) vide : indiquez au moins un identifiant, en les séparant par « ; ».")
        }
        var items: [String] = []
        for part in text.split(separator: ";", omittingEmptySubsequences: false) {
            let item = RosterTable.trimmed(String(part))
            guard !item.isEmpty else {
                throw failure("Identifiant vide dans la liste (deux « ; » de suite, ou un « ; » au début ou à la fin) : séparez les identifiants par un seul « ; ».")
            }
            try Self.checkIdentifier(item, failure: failure)
            guard !items.contains(item) else {
                throw failure("« \(item) » figure deux fois dans la liste des \(what) : retirez le doublon.")
            }
            items.append(item)
        }
        return items
    }

    /// A UAI: 7 digits and a letter, returned with the letter in upper case.
    func uai() throws(RosterError) -> String {
        try requireNonEmpty()
        let value = text.uppercased()
        let bytes = Array(value.utf8)
        let valid = bytes.count == 8
            && bytes[..<7].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            && bytes[7] >= UInt8(ascii: "A") && bytes[7] <= UInt8(ascii: "Z")
        guard valid else {
            throw failure("« \(text) » n'est pas un UAI valide : il faut 7 chiffres suivis d'une lettre, par exemple 0691234A.")
        }
        return value
    }

    /// A UAI, or `nil` when the field is empty.
    func optionalUAI() throws(RosterError) -> String? {
        text.isEmpty ? nil : try uai()
    }

    /// A session: the year on four digits.
    func session() throws(RosterError) -> String {
        try requireNonEmpty()
        guard text.utf8.count == 4, text.utf8.allSatisfy(Self.isDigit) else {
            throw failure("« \(text) » n'est pas une session valide : indiquez l'année sur 4 chiffres, par exemple 2026.")
        }
        return text
    }

    /// A template id among `known`.
    func template(in known: Set<String>) throws(RosterError) -> String {
        try requireNonEmpty()
        guard known.contains(text) else {
            let list = known.sorted().joined(separator: ", ")
            throw failure("Modèle de grille « \(text) » inconnu : indiquez l'un des modèles disponibles (\(list)).")
        }
        return text
    }

    func role() throws(RosterError) -> Roster.Evaluator.Role {
        try requireNonEmpty()
        guard let role = Roster.Evaluator.Role(rawValue: text) else {
            let list = Roster.Evaluator.Role.allCases.map(\.rawValue).joined(separator: ", ")
            throw failure("Rôle « \(text) » inconnu : indiquez l'un des rôles \(list) (en minuscules).")
        }
        return role
    }

    /// An e-mail address, checked loosely: one `@` with text on both sides and no space.
    func email() throws(RosterError) -> String {
        let value = try requiredText()
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
              !value.unicodeScalars.contains(where: \.properties.isWhitespace)
        else {
            throw failure("« \(value) » n'est pas une adresse électronique valide : il faut un seul « @ » avec du texte de chaque côté, sans espace.")
        }
        return value
    }

    /// A whole number of internship weeks, 0…104.
    func internshipWeeks() throws(RosterError) -> Int {
        try requireNonEmpty()
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy(Self.isDigit) else {
            throw failure("« \(text) » n'est pas un nombre entier de semaines.")
        }
        guard !text.hasPrefix("-"), let weeks = Int(text), weeks <= 104 else {
            throw failure("« \(text) » semaines : la durée de stage doit être comprise entre 0 et 104 semaines.")
        }
        return weeks
    }

    private func requireNonEmpty() throws(RosterError) {
        guard !text.isEmpty else {
            throw failure("Champ obligatoire vide : renseignez-le.")
        }
    }

    private static func checkIdentifier(_ id: String, failure: (String) -> RosterError) throws(RosterError) {
        let bytes = Array(id.utf8)
        let valid = bytes.count <= maxIdentifierLength
            && bytes.first.map { isDigit($0) || isLetter($0) } == true
            && bytes.allSatisfy { isDigit($0) || isLetter($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
        guard valid else {
            throw failure("« \(id) » n'est pas un identifiant valide : seuls les lettres sans accent, les chiffres, « - », « _ » et « . » sont permis (ni espace ni « / »), en commençant par une lettre ou un chiffre, au plus \(maxIdentifierLength) caractères.")
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}

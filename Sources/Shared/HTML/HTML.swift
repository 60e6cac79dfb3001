/// HTML text escaping for the pages and printouts Grille renders itself (no template engine).
public enum HTML {
    /// Escapes `&`, `<`, `>`, `"` and `'`, so any stored text (even text that looks like HTML or SQL)
    /// is shown verbatim.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}

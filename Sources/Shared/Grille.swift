/// Version of the Grille programs, printed by `--version`.
public enum Grille {
    public static let version = "0.1.0"
}

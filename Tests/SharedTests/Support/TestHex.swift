import Shared

/// Bytes from hexadecimal written in a test table; traps on a typo in the table.
func hexBytes(_ text: String) -> [UInt8] {
    guard let bytes = Hex.decode(text.filter { $0 != " " }) else { fatalError("bad hex in test table: \(text)") }
    return bytes
}

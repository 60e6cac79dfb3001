// Helpers shared by the libFuzzer targets in Tests/Fuzz/Targets; compiled into each target by
// scripts/fuzz.sh.

/// Stops the run when a property every input must keep is broken. libFuzzer catches the trap and
/// saves the input as a crash reproducer, so a broken invariant is reported like a crash.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        fatalError("fuzz invariant broken: \(message())")
    }
}

/// The fuzzer's input as an array, the form the parsers under test take.
func inputBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

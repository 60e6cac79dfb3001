import Foundation
import Shared

/// A wall clock that tests move by hand: forwards, backwards, or not at all.
public final class ManualClock: WallClock, @unchecked Sendable {
    // @unchecked: `now` is only read and written under `lock`.
    private let lock = NSLock()
    private var now: Int64

    public init(_ start: Int64 = 1_763_824_800_000) { now = start }

    public func nowMilliseconds() -> Int64 {
        lock.lock(); defer { lock.unlock() }
        return now
    }

    public func set(_ value: Int64) {
        lock.lock(); now = value; lock.unlock()
    }

    public func advance(_ milliseconds: Int64) {
        lock.lock(); now += milliseconds; lock.unlock()
    }
}

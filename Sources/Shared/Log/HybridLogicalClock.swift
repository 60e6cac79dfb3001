/// A hybrid logical clock stamp: wall time in milliseconds, a counter for events in the same
/// millisecond (or when the wall clock went back), and the device that issued it.
///
/// Stamps compare as integers (`wall`, then `counter`), then by `device`; `Event` adds the event id as
/// the last tie-break, so two events never compare equal. See DESIGN.md, "Data".
public struct HybridLogicalClock: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var wall: Int64
    public var counter: Int64
    public var device: String

    public init(wall: Int64, counter: Int64, device: String) {
        self.wall = wall
        self.counter = counter
        self.device = device
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.wall != rhs.wall { return lhs.wall < rhs.wall }
        if lhs.counter != rhs.counter { return lhs.counter < rhs.counter }
        return lhs.device.utf8.lexicographicallyPrecedes(rhs.device.utf8)
    }

    /// The next stamp for `device` after `last` (the highest stamp this replica has issued or seen),
    /// given the current wall time. Never equal to or below `last`, whatever the wall clock does.
    public static func next(after last: (wall: Int64, counter: Int64), now: Int64, device: String) -> HybridLogicalClock {
        if now > last.wall {
            return HybridLogicalClock(wall: now, counter: 0, device: device)
        }
        return HybridLogicalClock(wall: last.wall, counter: last.counter + 1, device: device)
    }

    public var description: String { "\(wall).\(counter)@\(device)" }
}

/// The source of wall time, replaced in tests and in the simulation.
public protocol WallClock: Sendable {
    /// Milliseconds since 1970-01-01 UTC.
    func nowMilliseconds() -> Int64
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import TestSupport

/// The one source of randomness of a simulated run: every choice the simulation makes (which step, which
/// fault, which agent, which value) comes from here, so a seed replays the same schedule. Shared by
/// reference between the world and its network.
final class SimRandom {
    private var generator: SeededGenerator

    init(seed: UInt64) {
        // Spread small consecutive seeds apart before SplitMix64 takes over.
        generator = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ 0x5EED_0F_C0FFEE)
    }

    func chance(_ probability: Double) -> Bool {
        probability > 0 && generator.chance(probability)
    }

    /// An integer in `range`.
    func int(_ range: ClosedRange<Int>) -> Int {
        Int.random(in: range, using: &generator)
    }

    func int64(_ range: ClosedRange<Int64>) -> Int64 {
        Int64.random(in: range, using: &generator)
    }

    func pick<T>(_ items: [T]) -> T {
        items[Int.random(in: 0..<items.count, using: &generator)]
    }

    func shuffled<T>(_ items: [T]) -> [T] {
        items.shuffled(using: &generator)
    }

    /// Lowercase hex digits, for device ids and epochs that replay with the seed.
    func hex(_ digits: Int) -> String {
        let alphabet = Array("0123456789abcdef")
        return String((0..<digits).map { _ in alphabet[Int.random(in: 0..<16, using: &generator)] })
    }

    /// Picks an index with probability proportional to its weight (weights ≥ 0, not all zero).
    func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var roll = Double.random(in: 0..<total, using: &generator)
        for (index, weight) in weights.enumerated() {
            if roll < weight { return index }
            roll -= weight
        }
        return weights.lastIndex { $0 > 0 } ?? 0
    }
}

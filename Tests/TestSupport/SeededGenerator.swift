import LoyaltyCore

/// SplitMix64: a small deterministic generator, so a failing run can be replayed from its seed
/// (the one the chain simulation uses).
public typealias SeededGenerator = SplitMix64

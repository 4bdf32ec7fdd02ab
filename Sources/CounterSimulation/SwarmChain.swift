import LoyaltyCore

extension ChainTraffic {
  /// One small chain of the swarm, all from `seed`: its size (2–5 counters, 3–10 days, 6–60
  /// cardholders), its traffic mix and its fault plan. The same seed is the same chain.
  public static func swarm(seed: UInt64) -> ChainTraffic {
    var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D)
    func draw(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
    var traffic = ChainTraffic(
      terminals: draw(2...5), days: draw(3...10), cardholders: draw(6...60), seed: seed)
    traffic.mix.offline = draw(0...25)
    traffic.mix.crash = draw(0...8)
    traffic.mix.home = 10 * draw(3...9)
    traffic.mix.cardAfter = draw(0...20)
    traffic.mix.crossShopRefund = draw(0...60)
    traffic.mix.link = draw(0...100)
    traffic.mix.expiry = draw(0...15)
    traffic.mix.doubleEnrol = draw(0...15)
    traffic.faults.junkBatch = draw(0...10)
    traffic.faults.tornTail = draw(0...10)
    traffic.faults.lostAnswer = draw(0...8)
    traffic.faults.rotateKey = draw(0...5)
    traffic.faults.revoke = draw(0...4)
    // A third of the chains sync through HQ's service, which restarts some nights.
    traffic.faults.viaHQService = draw(0...2) == 0
    traffic.faults.hqRestart = traffic.faults.viaHQService ? draw(0...30) : 0
    if draw(0...2) == 0 {
      traffic.faults.publishProgram = (draw(1...(traffic.days - 1)), [3, 7, 14][draw(0...2)], nil)
    }
    // Drawn last, so the plans of earlier seeds keep their other rates.
    traffic.mix.lifted = draw(0...20)
    traffic.faults.restore = draw(0...3) == 0 ? draw(10...40) : 0
    traffic.faults.tamperedDelta = draw(0...10)
    traffic.regionDays = draw(0...1) == 0 ? draw(1...4) : nil
    traffic.mix.enrolFirst = draw(0...20)
    // Half the chains run program format 2; of the others, two thirds of those that publish a
    // new version switch to it on that night, with lots of two days (and HQ runs its expiry).
    traffic.formatTwoWindow = draw(0...1) == 0 ? [1, 2, 3, 365][draw(0...3)] : nil
    if traffic.formatTwoWindow == nil, traffic.faults.publishProgram != nil, draw(0...2) != 0 {
      traffic.faults.publishProgram?.formatTwoWindow = draw(1...3)
      traffic.mix.expiry = max(traffic.mix.expiry, 30)
    }
    traffic.mix.lookUp = draw(0...50)
    traffic.mix.claimRace = draw(0...60)
    return traffic
  }

  /// One line: the chain's size, mix and fault rates.
  public var planDescription: String {
    var parts = [
      "\(terminals) counters, \(days) days, \(cardholders) cardholders, "
        + (faults.viaHQService ? "through HQ's service (restarts \(faults.hqRestart)%)" : "through HQ's file"),
      "offline \(mix.offline)%, crash \(mix.crash)%, home \(mix.home)%, card after \(mix.cardAfter)%, lifted \(mix.lifted)%, "
        + "cross-shop refunds \(mix.crossShopRefund)%, links \(mix.link)%, expiry \(mix.expiry)%, "
        + "double enrolments \(mix.doubleEnrol)%, enrol first \(mix.enrolFirst)%, look up \(mix.lookUp)%, "
        + "cards claimed twice \(mix.claimRace)% of links",
      "faults: junk \(faults.junkBatch)%, torn \(faults.tornTail)%, lost answer \(faults.lostAnswer)%, "
        + "rotation \(faults.rotateKey)%, revocation \(faults.revoke)%, backup and restore \(faults.restore)%, "
        + "tampered delta \(faults.tamperedDelta)%",
    ]
    if let w = formatTwoWindow { parts.append("format 2, a tier window of \(w) days") }
    if let p = faults.publishProgram {
      parts.append(
        (p.formatTwoWindow.map { "format 2 (a tier window of \($0) days, lots of 2 days, pendingDays 1)" }
          ?? "pendingDays \(p.pendingDays)") + " published on day \(p.day)")
    }
    if let days = regionDays {
      let drawn = regions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.joined(separator: "+"))" }
      parts.append("regions of \(days) days: \(drawn.joined(separator: ", "))")
    }
    return parts.joined(separator: "; ")
  }
}

import LoyaltyHQCLI

await LoyaltyHQ.runMain()

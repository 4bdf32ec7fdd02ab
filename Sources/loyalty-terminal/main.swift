import LoyaltyTerminalCLI

await LoyaltyTerminal.runMain()

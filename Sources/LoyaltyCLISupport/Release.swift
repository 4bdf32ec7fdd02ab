/// The release `loyalty-terminal` and `loyalty-hq` are (`--version`, and the first line of `--help`):
/// the two binaries of a release are built together and say the same.
public enum LoyaltyRelease {
  public static let version = "0.20.0"
}

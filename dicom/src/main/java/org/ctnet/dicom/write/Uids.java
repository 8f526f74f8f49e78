package org.ctnet.dicom.write;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * New UIDs under a root: under {@code 2.25} (the default, PS3.5 B.2) a random UUID as a decimal
 * integer; under an organisation's own root, the root followed by as many random decimal digits as
 * the 64-character limit leaves (at least 20).
 */
public final class Uids {
  public static final String UUID_ROOT = "2.25";
  private static final int MAX_LENGTH = 64;

  private final String root;

  public Uids(String root) {
    if (!root.matches("(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*")) {
      throw new IllegalArgumentException("UID root must be dot-separated numbers without leading zeros, got '"
          + root + "'");
    }
    if (root.length() > MAX_LENGTH - 1 - 20) {
      throw new IllegalArgumentException("UID root '" + root + "' leaves fewer than 20 of a UID's 64 characters");
    }
    this.root = root;
  }

  public String root() {
    return root;
  }

  public String next() {
    UUID u = UUID.randomUUID();
    byte[] bytes = ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits())
        .array();
    BigInteger value = new BigInteger(1, bytes);
    int digits = MAX_LENGTH - 1 - root.length();
    if (digits < 39) { // a UUID is up to 39 decimal digits; keep as many random ones as fit
      value = value.mod(BigInteger.TEN.pow(digits)).max(BigInteger.ONE);
    }
    return root + "." + value;
  }
}

package org.ctnet.server.http;

/** Text from clients made safe for the one-line access log. */
public final class AccessLog {
  private AccessLog() {}

  /** Client text for one log line: control characters (CR/LF would forge lines) escaped, length bounded. */
  public static String printable(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), 512) + 8);
    for (int i = 0; i < text.length() && out.length() < 512; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    return text.length() > 512 ? out + "..." : out.toString();
  }
}

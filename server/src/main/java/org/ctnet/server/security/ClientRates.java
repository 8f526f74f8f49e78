package org.ctnet.server.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

/**
 * Per-client request rates: a token bucket per client (its bearer token, else its client certificate's
 * name, else its address), refilled at {@code perSecond} up to {@code burst}; a request that finds the
 * bucket empty gets 429 (gRPC RESOURCE_EXHAUSTED) with Retry-After, so one greedy client cannot take the
 * whole queue. Health routes are not counted. Off when the rate is 0.
 */
public final class ClientRates {
  private static final int MAX_CLIENTS = 100_000;

  private final double perSecond;
  private final double burst;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long refilledAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.refilledAt = now;
    }
  }

  public ClientRates(double perSecond, double burst) {
    if (perSecond < 0 || (perSecond > 0 && burst < 1)) {
      throw new IllegalArgumentException("client rate must be >= 0 requests/s with a burst of at least 1");
    }
    this.perSecond = perSecond;
    this.burst = burst;
  }

  public static final ClientRates OFF = new ClientRates(0, 1);

  public boolean enabled() {
    return perSecond > 0;
  }

  /** Takes one token for {@code client} or throws RATE_LIMITED. */
  public void take(String client) {
    if (!enabled()) {
      return;
    }
    long now = System.nanoTime();
    if (buckets.size() > MAX_CLIENTS) {
      buckets.clear(); // a flood of spoofed identities must not grow memory without bound
    }
    Bucket b = buckets.computeIfAbsent(client, k -> new Bucket(burst, now));
    synchronized (b) {
      b.tokens = Math.min(burst, b.tokens + (now - b.refilledAt) / 1e9 * perSecond);
      b.refilledAt = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return;
      }
    }
    throw new ServingException(Problem.RATE_LIMITED, String.format(
        "this client is over its rate of %.3g requests/s (burst %.0f): retry after a second", perSecond, burst));
  }

  /** A client's key: a digest of its token (never the token itself), else its certificate name, else address. */
  public static String clientOf(String bearerToken, String certificateName, String address) {
    if (bearerToken != null && !bearerToken.isEmpty()) {
      try {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(bearerToken.getBytes(StandardCharsets.UTF_8));
        return "token:" + HexFormat.of().formatHex(d, 0, 8);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
    if (certificateName != null && !certificateName.isEmpty()) {
      return "cert:" + certificateName;
    }
    return "addr:" + address;
  }
}

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
 * Per-client rates: a token bucket per client (its bearer token, else its client certificate's name,
 * else its address) for requests, refilled at {@code perSecond} up to {@code burst}, and one for the
 * images its requests give the model; a request that finds a bucket empty gets 429 (gRPC
 * RESOURCE_EXHAUSTED) with Retry-After, so one greedy client cannot take the whole queue. Health routes
 * are not counted. Each bucket is off when its rate is 0.
 *
 * <p>The image bucket may go into debt: a request is let through while the bucket holds any token
 * and takes all its images (a 300-slice scan passes a burst of 100), and the client then waits until
 * the debt is paid, so its long-run rate holds without refusing large requests for ever.
 */
public final class ClientRates {
  private static final int MAX_CLIENTS = 100_000;

  private final double perSecond;
  private final double burst;
  private final double imagesPerSecond;
  private final double imageBurst;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Map<String, Bucket> imageBuckets = new ConcurrentHashMap<>();

  private static final class Bucket {
    double tokens;
    long refilledAt;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.refilledAt = now;
    }
  }

  public ClientRates(double perSecond, double burst) {
    this(perSecond, burst, 0, 1);
  }

  /**
   * @param imagesPerSecond images a client's requests may give the model per second (0 = no limit)
   * @param imageBurst images above that rate at once
   */
  public ClientRates(double perSecond, double burst, double imagesPerSecond, double imageBurst) {
    if (perSecond < 0 || (perSecond > 0 && burst < 1)) {
      throw new IllegalArgumentException("client rate must be >= 0 requests/s with a burst of at least 1");
    }
    if (imagesPerSecond < 0 || (imagesPerSecond > 0 && imageBurst < 1)) {
      throw new IllegalArgumentException("client image rate must be >= 0 images/s with a burst of at least 1");
    }
    this.perSecond = perSecond;
    this.burst = burst;
    this.imagesPerSecond = imagesPerSecond;
    this.imageBurst = imageBurst;
  }

  public static final ClientRates OFF = new ClientRates(0, 1);

  /** Whether any bucket is on (the request count or the images). */
  public boolean enabled() {
    return perSecond > 0 || imagesPerSecond > 0;
  }

  public boolean limitsImages() {
    return imagesPerSecond > 0;
  }

  /**
   * Takes {@code images} from {@code client}'s image bucket, or throws RATE_LIMITED when the bucket
   * holds no token (it is in debt from earlier requests).
   */
  public void takeImages(String client, int images) {
    if (imagesPerSecond <= 0 || images <= 0) {
      return;
    }
    long now = System.nanoTime();
    if (imageBuckets.size() > MAX_CLIENTS) {
      imageBuckets.clear();
    }
    Bucket b = imageBuckets.computeIfAbsent(client, k -> new Bucket(imageBurst, now));
    double owed;
    synchronized (b) {
      b.tokens = Math.min(imageBurst, b.tokens + (now - b.refilledAt) / 1e9 * imagesPerSecond);
      b.refilledAt = now;
      if (b.tokens > 0) {
        b.tokens -= images;
        return;
      }
      owed = -b.tokens;
    }
    throw new ServingException(Problem.RATE_LIMITED, String.format(
        "this client is over its rate of %.3g images/s (burst %.0f; %.0f images still owed): retry later",
        imagesPerSecond, imageBurst, owed));
  }

  /** Takes one token for {@code client} or throws RATE_LIMITED. */
  public void take(String client) {
    if (perSecond <= 0) {
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

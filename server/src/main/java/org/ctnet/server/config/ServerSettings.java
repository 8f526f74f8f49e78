package org.ctnet.server.config;

import io.helidon.config.Config;
import java.nio.file.Path;

/**
 * Server configuration, from {@code application.yaml} (section {@code ctnet}), overridden by
 * environment variables ({@code CTNET_MODEL_BASE_PATH}, ...) and command-line flags.
 *
 * @param host interface to bind
 * @param port HTTP port (8501, TF Serving's REST port, by default)
 * @param modelBasePath folder with one sub-folder per model, each with integer version folders
 * @param versionPolicy latest, all, or specific:N[,M...]
 * @param pollSeconds how often the base path is re-scanned for new versions (0 = never)
 * @param maxBatchSize most images one micro-batched session run takes
 * @param maxBatchDelayMillis how long the oldest request of a batch may wait for company (only
 *     while another session run is in progress)
 * @param inferenceThreads concurrent session runs (TF calls pin their carrier threads)
 * @param queueLimit queued images beyond which requests get 429
 * @param maxBodyBytes largest accepted request body
 * @param maxImagePixels largest accepted image (width × height), checked before decoding
 * @param maxInstances most instances in one request
 * @param requestTimeoutMillis how long a request may wait for its result
 * @param bearerToken if set, every route but health (and {@code /metrics} unless
 *     {@code metricsOpen}) requires {@code Authorization: Bearer <token>}
 * @param maxConcurrentUploads request bodies read at once; more get 503 with Retry-After (bounds the
 *     memory that slow or idle uploads can pin)
 * @param bodyTimeoutMillis how long a request body may take to arrive in full (408 after it)
 * @param decodeBudgetBytes heap that images being decoded in Java may take together (judged from
 *     their headers); a request whose images do not fit waits briefly, then gets 503
 * @param metricsOpen whether {@code /metrics} stays open when a token is set (Prometheus scrapers
 *     inside the cluster often carry no token)
 * @param drainDelayMillis on shutdown (SIGTERM), how long the server keeps answering with readiness
 *     503 before it waits for in-flight requests and stops: load balancers and Kubernetes endpoints
 *     take a few seconds to stop sending to a terminating replica
 * @param modelConfigFile a TF Serving model config file (models with their own base paths, version
 *     policies and labels), re-read at every poll; null = every folder of {@code modelBasePath}
 * @param grpcPort gRPC port (TF Serving's PredictionService and ModelService, KServe's
 *     GRPCInferenceService): 8500, TF Serving's, in application.yaml; 0 = any free port; -1 = none
 */
public record ServerSettings(
    String host,
    int port,
    Path modelBasePath,
    String versionPolicy,
    double pollSeconds,
    int maxBatchSize,
    int maxBatchDelayMillis,
    int inferenceThreads,
    int queueLimit,
    long maxBodyBytes,
    long maxImagePixels,
    int maxInstances,
    long requestTimeoutMillis,
    String bearerToken,
    int maxConcurrentUploads,
    long bodyTimeoutMillis,
    long decodeBudgetBytes,
    boolean metricsOpen,
    long drainDelayMillis,
    int grpcPort,
    Path modelConfigFile) {

  public ServerSettings {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
    if (maxBatchSize < 1 || inferenceThreads < 1 || queueLimit < 1 || maxInstances < 1) {
      throw new IllegalArgumentException("batch size, inference threads, queue limit and max instances must be >= 1");
    }
    if (maxConcurrentUploads < 1 || bodyTimeoutMillis < 1 || decodeBudgetBytes < 1) {
      throw new IllegalArgumentException("max concurrent uploads, body timeout and decode budget must be >= 1");
    }
    if (grpcPort < -1 || grpcPort > 65535) {
      throw new IllegalArgumentException("gRPC port must be -1 (off) or 0..65535, got " + grpcPort);
    }
    if (drainDelayMillis < 0) {
      throw new IllegalArgumentException("drain delay must be >= 0 ms, got " + drainDelayMillis);
    }
    if (maxBatchDelayMillis < 0) {
      throw new IllegalArgumentException("max batch delay must be >= 0 ms, got " + maxBatchDelayMillis);
    }
    VersionPolicy.parse(versionPolicy);
    bearerToken = bearerToken == null || bearerToken.isBlank() ? null : bearerToken;
  }

  /**
   * Session runs in parallel by default: one per core. Each run has one intra-op thread, so fewer
   * leave cores idle under load and more only contend (ThreadSettingsBenchmark, README).
   */
  public static int inferenceThreadsPerCore() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  public static ServerSettings defaults(Path modelBasePath) {
    return new ServerSettings("0.0.0.0", 8501, modelBasePath, "latest", 5, 8, 2, inferenceThreadsPerCore(), 256, 32L << 20, 50_000_000L,
        64, 60_000, null, 64, 30_000, 256L << 20, false, 0, -1, null);
  }

  /** Reads {@code ctnet.*} keys (environment variables CTNET_* override them through Helidon's config). */
  public static ServerSettings from(Config root) {
    Config c = root.get("ctnet");
    ServerSettings d = defaults(Path.of("saved_models"));
    return new ServerSettings(
        c.get("host").asString().orElse(d.host()),
        c.get("port").asInt().orElse(d.port()),
        Path.of(c.get("model-base-path").asString().orElse(d.modelBasePath().toString())),
        c.get("version-policy").asString().orElse(d.versionPolicy()),
        c.get("poll-seconds").asDouble().orElse(d.pollSeconds()),
        c.get("max-batch-size").asInt().orElse(d.maxBatchSize()),
        c.get("max-batch-delay-millis").asInt().orElse(d.maxBatchDelayMillis()),
        c.get("inference-threads").asInt().map(t -> t == 0 ? inferenceThreadsPerCore() : t).orElse(d.inferenceThreads()),
        c.get("queue-limit").asInt().orElse(d.queueLimit()),
        c.get("max-body-bytes").asLong().orElse(d.maxBodyBytes()),
        c.get("max-image-pixels").asLong().orElse(d.maxImagePixels()),
        c.get("max-instances").asInt().orElse(d.maxInstances()),
        c.get("request-timeout-millis").asLong().orElse(d.requestTimeoutMillis()),
        c.get("bearer-token").asString().orElse(null),
        c.get("max-concurrent-uploads").asInt().orElse(d.maxConcurrentUploads()),
        c.get("body-timeout-millis").asLong().orElse(d.bodyTimeoutMillis()),
        c.get("decode-budget-bytes").asLong().orElse(d.decodeBudgetBytes()),
        c.get("metrics-open").asBoolean().orElse(d.metricsOpen()),
        c.get("drain-delay-millis").asLong().orElse(d.drainDelayMillis()),
        c.get("grpc-port").asInt().orElse(d.grpcPort()),
        c.get("model-config-file").asString().map(Path::of).orElse(null));
  }

  public ServerSettings withPort(int newPort) {
    return copy(b -> {
      b.port = newPort;
    });
  }

  public ServerSettings withModelBasePath(Path path) {
    return copy(b -> {
      b.modelBasePath = path;
    });
  }

  public ServerSettings withPolling(double seconds) {
    return copy(b -> {
      b.pollSeconds = seconds;
    });
  }

  public ServerSettings withLimits(long bodyBytes, long imagePixels, int instances, int queue) {
    return copy(b -> {
      b.maxBodyBytes = bodyBytes;
      b.maxImagePixels = imagePixels;
      b.maxInstances = instances;
      b.queueLimit = queue;
    });
  }

  public ServerSettings withBatching(int batchSize, int batchDelayMillis, int threads) {
    return copy(b -> {
      b.maxBatchSize = batchSize;
      b.maxBatchDelayMillis = batchDelayMillis;
      b.inferenceThreads = threads;
    });
  }

  public ServerSettings withBearerToken(String token) {
    return copy(b -> {
      b.bearerToken = token;
    });
  }

  public ServerSettings withVersionPolicy(String policy) {
    return copy(b -> {
      b.versionPolicy = policy;
    });
  }

  public ServerSettings withUploads(int concurrentUploads, long bodyTimeout) {
    return copy(b -> {
      b.maxConcurrentUploads = concurrentUploads;
      b.bodyTimeoutMillis = bodyTimeout;
    });
  }

  public ServerSettings withHost(String newHost) {
    return copy(b -> {
      b.host = newHost;
    });
  }

  public ServerSettings withMetricsOpen(boolean open) {
    return copy(b -> {
      b.metricsOpen = open;
    });
  }

  public ServerSettings withDecodeBudget(long bytes) {
    return copy(b -> {
      b.decodeBudgetBytes = bytes;
    });
  }

  public ServerSettings withDrainDelay(long millis) {
    return copy(b -> {
      b.drainDelayMillis = millis;
    });
  }

  public ServerSettings withModelConfigFile(Path file) {
    return copy(b -> {
      b.modelConfigFile = file;
    });
  }

  public ServerSettings withGrpcPort(int newPort) {
    return copy(b -> {
      b.grpcPort = newPort;
    });
  }

  /** A copy with some settings changed (the withers above); the copy is validated like any settings. */
  private ServerSettings copy(java.util.function.Consumer<Copy> change) {
    Copy b = new Copy(this);
    change.accept(b);
    return b.build();
  }

  /** The settings as mutable fields, only while a copy is made. */
  private static final class Copy {
    String host;
    int port;
    Path modelBasePath;
    String versionPolicy;
    double pollSeconds;
    int maxBatchSize;
    int maxBatchDelayMillis;
    int inferenceThreads;
    int queueLimit;
    long maxBodyBytes;
    long maxImagePixels;
    int maxInstances;
    long requestTimeoutMillis;
    String bearerToken;
    int maxConcurrentUploads;
    long bodyTimeoutMillis;
    long decodeBudgetBytes;
    boolean metricsOpen;
    long drainDelayMillis;
    int grpcPort;
    Path modelConfigFile;

    Copy(ServerSettings s) {
      host = s.host;
      port = s.port;
      modelBasePath = s.modelBasePath;
      versionPolicy = s.versionPolicy;
      pollSeconds = s.pollSeconds;
      maxBatchSize = s.maxBatchSize;
      maxBatchDelayMillis = s.maxBatchDelayMillis;
      inferenceThreads = s.inferenceThreads;
      queueLimit = s.queueLimit;
      maxBodyBytes = s.maxBodyBytes;
      maxImagePixels = s.maxImagePixels;
      maxInstances = s.maxInstances;
      requestTimeoutMillis = s.requestTimeoutMillis;
      bearerToken = s.bearerToken;
      maxConcurrentUploads = s.maxConcurrentUploads;
      bodyTimeoutMillis = s.bodyTimeoutMillis;
      decodeBudgetBytes = s.decodeBudgetBytes;
      metricsOpen = s.metricsOpen;
      drainDelayMillis = s.drainDelayMillis;
      grpcPort = s.grpcPort;
      modelConfigFile = s.modelConfigFile;
    }

    ServerSettings build() {
      return new ServerSettings(host, port, modelBasePath, versionPolicy, pollSeconds, maxBatchSize, maxBatchDelayMillis, inferenceThreads, queueLimit, maxBodyBytes, maxImagePixels, maxInstances, requestTimeoutMillis, bearerToken, maxConcurrentUploads, bodyTimeoutMillis, decodeBudgetBytes, metricsOpen, drainDelayMillis, grpcPort,
          modelConfigFile);
    }
  }
}

package org.ctnet.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;

/**
 * A TF Serving style model repository: a base path with one folder per model and integer version
 * folders. The version policy picks versions to serve; a poller loads new ones while old ones keep
 * serving, swaps atomically, and unloads the old after its in-flight requests finish. A version that
 * fails to load is reported in the status and the previous one keeps serving.
 */
public final class ModelRepository implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ModelRepository.class.getName());
  /** Model names: no path separators, no leading dot (staging folders), no traversal. */
  public static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  public static final String VERSION_LABELS_FILE = "version_labels.json";

  /** TF Serving's per-version status. */
  public record VersionStatus(long version, String state, String errorCode, String errorMessage) {}

  private final ServerSettings settings;
  private final VersionPolicy policy;
  private final Metrics metrics;
  private final SessionOptions sessionOptions;
  /** model → version → served version (replaced as a whole on every change). */
  private final Map<String, Map<Long, ServedVersion>> served = new ConcurrentHashMap<>();
  private final Map<String, Map<Long, VersionStatus>> statuses = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Long>> labels = new ConcurrentHashMap<>();
  private final ScheduledExecutorService poller;

  public ModelRepository(ServerSettings settings, Metrics metrics, SessionOptions sessionOptions) {
    this.settings = settings;
    this.policy = VersionPolicy.parse(settings.versionPolicy());
    this.metrics = metrics;
    this.sessionOptions = sessionOptions;
    refresh();
    if (settings.pollSeconds() > 0) {
      poller = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("model-poller").unstarted(r));
      long period = (long) (settings.pollSeconds() * 1000);
      poller.scheduleWithFixedDelay(this::refreshQuietly, period, period, TimeUnit.MILLISECONDS);
    } else {
      poller = null;
    }
  }

  private void refreshQuietly() {
    try {
      refresh();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "model repository refresh failed", e);
    }
  }

  /** Scans the base path once and loads/unloads versions to match the policy. */
  public synchronized void refresh() {
    List<String> models = listModels();
    for (String model : models) {
      List<Long> present = listVersions(settings.modelBasePath().resolve(model));
      List<Long> wanted = policy.select(present);
      Map<Long, ServedVersion> current = served.getOrDefault(model, Map.of());
      Map<Long, VersionStatus> status = new TreeMap<>(statuses.getOrDefault(model, Map.of()));
      Map<Long, ServedVersion> next = new TreeMap<>(current);
      for (long v : wanted) {
        if (current.containsKey(v)) {
          continue;
        }
        VersionStatus previous = status.get(v);
        if (previous != null && !previous.errorCode().equals("OK")) {
          continue; // failed before: do not retry a broken version on every poll
        }
        status.put(v, new VersionStatus(v, "LOADING", "OK", ""));
        statuses.put(model, Collections.unmodifiableMap(new TreeMap<>(status)));
        Path dir = settings.modelBasePath().resolve(model).resolve(Long.toString(v));
        try {
          ModelSession session = ModelSession.load(dir, sessionOptions);
          next.put(v, new ServedVersion(model, v, session, settings, metrics));
          status.put(v, new VersionStatus(v, "AVAILABLE", "OK", ""));
          LOG.info("loaded " + model + " version " + v);
        } catch (IOException | RuntimeException e) {
          status.put(v, new VersionStatus(v, "END", "UNKNOWN", "failed to load: " + e.getMessage()));
          metrics.loadFailure(model);
          LOG.warning("failed to load " + model + " version " + v + ": " + e.getMessage());
        }
      }
      // Retire versions the policy no longer wants, but only once something newer serves.
      List<Long> retire = new ArrayList<>();
      for (long v : current.keySet()) {
        boolean replaced = next.keySet().stream().anyMatch(w -> wanted.contains(w) && w != v);
        if (!wanted.contains(v) && (replaced || !present.contains(v))) {
          retire.add(v);
        }
      }
      retire.forEach(next::remove);
      served.put(model, Collections.unmodifiableMap(next));
      for (long v : retire) {
        status.put(v, new VersionStatus(v, "END", "OK", ""));
        current.get(v).release();
        LOG.info("unloading " + model + " version " + v + " after its in-flight requests");
      }
      statuses.put(model, Collections.unmodifiableMap(new TreeMap<>(status)));
      labels.put(model, readLabels(settings.modelBasePath().resolve(model)));
    }
    for (String gone : new ArrayList<>(served.keySet())) {
      if (!models.contains(gone)) {
        Map<Long, ServedVersion> old = served.remove(gone);
        statuses.remove(gone);
        labels.remove(gone);
        old.values().forEach(ServedVersion::release);
      }
    }
  }

  private List<String> listModels() {
    Path base = settings.modelBasePath();
    if (!Files.isDirectory(base)) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(base)) {
      return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> MODEL_NAME.matcher(n).matches()).sorted().toList();
    } catch (IOException e) {
      LOG.warning("cannot list " + base + ": " + e.getMessage());
      return List.of();
    }
  }

  static List<Long> listVersions(Path modelDir) {
    try (Stream<Path> children = Files.list(modelDir)) {
      return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9]{1,18}")).map(Long::parseLong).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static Map<String, Long> readLabels(Path modelDir) {
    Path file = modelDir.resolve(VERSION_LABELS_FILE);
    if (!Files.isRegularFile(file)) {
      return Map.of();
    }
    try {
      JsonNode node = new ObjectMapper().readTree(file.toFile());
      Map<String, Long> out = new TreeMap<>();
      node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
      return out;
    } catch (IOException e) {
      LOG.warning("ignoring unreadable " + file + ": " + e.getMessage());
      return Map.of();
    }
  }

  /** A served version, acquired for the caller (release it with {@link Lease#close()}). */
  public final class Lease implements AutoCloseable {
    private final ServedVersion version;

    private Lease(ServedVersion version) {
      this.version = version;
      RequestScope.servedBy(version.version());
    }

    public ServedVersion version() {
      return version;
    }

    @Override
    public void close() {
      version.release();
    }
  }

  /**
   * @param version a version number, or null for the highest served one
   * @param label a version label (stable, canary, ...), or null
   */
  public Lease acquire(String model, String version, String label) {
    if (!MODEL_NAME.matcher(model).matches()) {
      throw ApiException.notFound("Servable not found for request: invalid model name '" + model + "'");
    }
    Map<Long, ServedVersion> versions = served.get(model);
    if (versions == null || versions.isEmpty()) {
      throw ApiException.notFound("Servable not found for request: Latest(" + model + ")");
    }
    Long wanted = null;
    if (label != null) {
      wanted = labels.getOrDefault(model, Map.of()).get(label);
      if (wanted == null) {
        throw ApiException.notFound("Unrecognized servable version label: " + label);
      }
    } else if (version != null) {
      if (!version.matches("[0-9]{1,18}")) {
        throw ApiException.badRequest("model version must be a positive integer, got '" + version + "'");
      }
      wanted = Long.parseLong(version);
    }
    for (int attempt = 0; attempt < 3; attempt++) {
      Map<Long, ServedVersion> now = served.getOrDefault(model, Map.of());
      ServedVersion v = wanted == null ? now.values().stream().reduce((a, b) -> b).orElse(null) : now.get(wanted);
      if (v == null) {
        throw ApiException.notFound("Servable not found for request: Specific(" + model + ", " + wanted + ")");
      }
      if (v.acquire()) {
        return new Lease(v);
      }
      // Retired between the lookup and the acquire: the map already points at its successor.
    }
    throw new ApiException(503, "model " + model + " is reloading; retry");
  }

  public List<String> models() {
    return List.copyOf(new TreeMap<>(statuses).keySet());
  }

  public Map<Long, VersionStatus> status(String model) {
    if (!MODEL_NAME.matcher(model).matches() || !statuses.containsKey(model)) {
      throw ApiException.notFound("Could not find any versions of model " + model);
    }
    return statuses.get(model);
  }

  public Map<String, Long> labels(String model) {
    return labels.getOrDefault(model, Map.of());
  }

  /** True when at least one model version is loaded. */
  public boolean ready() {
    return served.values().stream().anyMatch(m -> !m.isEmpty());
  }

  public boolean ready(String model) {
    return !served.getOrDefault(model, Map.of()).isEmpty();
  }

  @Override
  public synchronized void close() {
    if (poller != null) {
      poller.shutdownNow();
    }
    for (Map<Long, ServedVersion> versions : served.values()) {
      versions.values().forEach(ServedVersion::release);
    }
    served.clear();
  }
}

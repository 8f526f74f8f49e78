package org.ctnet.server.repository;

import org.ctnet.server.config.ModelConfigFile;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.config.VersionPolicy;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

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
import org.ctnet.graph.export.WarmupRequests;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.SessionOptions;

/**
 * A TF Serving style model repository: a base path with one folder per model and integer version
 * folders. The version policy picks versions to serve; a poller loads new ones while old ones keep
 * serving, swaps atomically, and unloads the old after its in-flight requests finish. A version that
 * fails to load (a folder caught mid-copy, a broken export) is reported in the status, the newest
 * loadable version serves in its place, and the load is retried with backoff (sooner when the folder
 * changes). Nothing a poll throws, {@link Error}s included, stops the polling.
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
  /** Versions that failed to load, keyed by folder: when to try again, unless the folder changes first. */
  private final Map<Path, FailedLoad> failed = new ConcurrentHashMap<>();
  static final long FIRST_RETRY_MILLIS = 2_000;
  static final long MAX_RETRY_MILLIS = 300_000;

  private record FailedLoad(int attempts, long retryAtMillis, long folderStamp) {}
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
    } catch (Throwable e) { // an Error would cancel the scheduled polling for good
      LOG.log(Level.SEVERE, "model repository refresh failed", e);
    }
  }

  /** A model to serve: its folder of versions, version policy and labels (null = its version_labels.json). */
  private record Source(String name, Path dir, VersionPolicy policy, Map<String, Long> labels) {}

  /** The models of the last readable model config file (none before the first). */
  private List<Source> configured = List.of();
  private volatile String configProblem;
  /** model → the folder its served versions came from (a config may move a model). */
  private final Map<String, Path> folders = new ConcurrentHashMap<>();

  /**
   * The models to serve: every model folder of the base path with the global policy, or the models
   * of the model config file (re-read each time; a file that cannot be read leaves the last good one).
   */
  private List<Source> sources() {
    if (settings.modelConfigFile() == null) {
      return listModels().stream().map(m -> new Source(m, settings.modelBasePath().resolve(m), policy, null)).toList();
    }
    try {
      configured = ModelConfigFile.read(settings.modelConfigFile()).stream()
          .map(e -> new Source(e.name(), e.basePath(), e.policy(), e.labels())).toList();
      configProblem = null;
    } catch (IOException | RuntimeException e) {
      if (!String.valueOf(e.getMessage()).equals(configProblem)) {
        LOG.warning("model config not applied, serving as before: " + e.getMessage());
      }
      configProblem = String.valueOf(e.getMessage());
    }
    return configured;
  }

  /** Why the model config file was last refused (null when it was applied or there is none). */
  public String configProblem() {
    return configProblem;
  }

  /** Reads the models to serve once and loads/unloads versions to match each one's policy. */
  public synchronized void refresh() {
    List<Source> sources = sources();
    List<String> models = sources.stream().map(Source::name).toList();
    for (Source source : sources) {
      String model = source.name();
      Path modelDir = source.dir();
      Path before = folders.put(model, modelDir);
      if (before != null && !before.equals(modelDir)) {
        // Moved to another folder: its versions there are other models' files, so start over.
        unload(model);
      }
      VersionPolicy policy = source.policy();
      List<Long> present = ModelFolders.listVersions(modelDir);
      Map<Long, ServedVersion> current = served.getOrDefault(model, Map.of());
      Map<Long, VersionStatus> status = new TreeMap<>(statuses.getOrDefault(model, Map.of()));
      Map<Long, ServedVersion> next = new TreeMap<>(current);
      List<Long> wanted;
      boolean anyFailed;
      int passes = 0;
      do {
        // Broken versions waiting for their retry are left out, so "latest" falls back to the newest
        // loadable one in the same scan (a broken newest version at cold start still serves the older).
        wanted = policy.select(present.stream().filter(v -> !waitingForRetry(modelDir.resolve(Long.toString(v)))).toList());
        anyFailed = false;
        for (long v : wanted) {
          if (next.containsKey(v)) {
            continue;
          }
          anyFailed |= !load(model, v, modelDir.resolve(Long.toString(v)), next, status);
        }
      } while (anyFailed && ++passes <= present.size()); // bounded: a folder still being copied changes every pass
      List<Long> finalWanted = wanted;
      // Retire versions the policy no longer wants, but only once something newer serves.
      List<Long> retire = new ArrayList<>();
      for (long v : current.keySet()) {
        boolean replaced = next.keySet().stream().anyMatch(w -> finalWanted.contains(w) && w != v);
        if (!finalWanted.contains(v) && (replaced || !present.contains(v))) {
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
      labels.put(model, source.labels() != null ? source.labels() : ModelFolders.readLabels(modelDir));
    }
    for (String gone : new ArrayList<>(served.keySet())) {
      if (!models.contains(gone)) {
        unload(gone);
        folders.remove(gone);
      }
    }
  }

  /** Stops serving every version of {@code model}; each closes once its in-flight requests finish. */
  private void unload(String model) {
    Map<Long, ServedVersion> old = served.remove(model);
    statuses.remove(model);
    labels.remove(model);
    if (old != null) {
      old.values().forEach(ServedVersion::release);
      LOG.info("unloading every version of " + model);
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

  /** Loads one version into {@code next}; on failure records it for a retry with backoff. */
  private boolean load(String model, long v, Path dir, Map<Long, ServedVersion> next, Map<Long, VersionStatus> status) {
    status.put(v, new VersionStatus(v, "LOADING", "OK", ""));
    statuses.put(model, Collections.unmodifiableMap(new TreeMap<>(status)));
    try {
      LoadedModel session = LoadedModel.load(dir, sessionOptions);
      WarmUp.Report warm;
      try {
        warm = WarmUp.run(session, settings.maxBatchSize(), dir);
      } catch (RuntimeException | java.io.IOException e) {
        session.close();
        throw e;
      }
      var ood = org.ctnet.graph.check.OutOfDistribution.Calibration.read(dir);
      next.put(v, new ServedVersion(model, v, session, settings, metrics, ood.orElse(null)));
      status.put(v, new VersionStatus(v, "AVAILABLE", "OK", ""));
      failed.remove(dir);
      LOG.info("loaded " + model + " version " + v + "; warmed up with " + warm.runs() + " runs (every signature at "
          + "batch 1-" + settings.maxBatchSize() + ", then " + WarmupRequests.FILE + " if present) in " + warm.millis() + " ms");
      return true;
    } catch (Exception | StackOverflowError e) {
      FailedLoad previous = failed.get(dir);
      int attempts = previous == null ? 1 : previous.attempts() + 1;
      long delay = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(20, attempts - 1));
      failed.put(dir, new FailedLoad(attempts, System.currentTimeMillis() + delay, ModelFolders.folderStamp(dir)));
      status.put(v, new VersionStatus(v, "END", "UNKNOWN", "failed to load (attempt " + attempts
          + ", next in " + delay / 1000 + " s or when the folder changes): " + e.getMessage()));
      metrics.loadFailure(model);
      LOG.warning("failed to load " + model + " version " + v + " (attempt " + attempts + "): " + e.getMessage());
      return false;
    }
  }

  /** A failed version is left alone until its backoff ends or its folder changes (a copy completing). */
  private boolean waitingForRetry(Path versionDir) {
    FailedLoad f = failed.get(versionDir);
    return f != null && System.currentTimeMillis() < f.retryAtMillis() && ModelFolders.folderStamp(versionDir) == f.folderStamp();
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
   * The version a request names, by label or by number; null when it names none. An unknown label is
   * not found, a number that is not one a bad request.
   */
  public Long namedVersion(String model, String version, String label) {
    if (label != null) {
      Long labelled = labels.getOrDefault(model, Map.of()).get(label);
      if (labelled == null) {
        throw ServingException.notFound("Unrecognized servable version label: " + label);
      }
      return labelled;
    }
    if (version != null) {
      if (!version.matches("[0-9]{1,18}")) {
        throw ServingException.badRequest("model version must be a positive integer, got '" + version + "'");
      }
      return Long.parseLong(version);
    }
    return null;
  }

  /**
   * @param version a version number, or null for the highest served one
   * @param label a version label (stable, canary, ...), or null
   */
  public Lease acquire(String model, String version, String label) {
    if (!MODEL_NAME.matcher(model).matches()) {
      throw ServingException.notFound("Servable not found for request: invalid model name '" + model + "'");
    }
    Map<Long, ServedVersion> versions = served.get(model);
    if (versions == null || versions.isEmpty()) {
      throw ServingException.notFound("Servable not found for request: Latest(" + model + ")");
    }
    Long wanted = namedVersion(model, version, label);
    for (int attempt = 0; attempt < 3; attempt++) {
      Map<Long, ServedVersion> now = served.getOrDefault(model, Map.of());
      ServedVersion v = wanted == null ? now.values().stream().reduce((a, b) -> b).orElse(null) : now.get(wanted);
      if (v == null) {
        throw ServingException.notFound("Servable not found for request: Specific(" + model + ", " + wanted + ")");
      }
      if (v.acquire()) {
        return new Lease(v);
      }
      // Retired between the lookup and the acquire: the map already points at its successor.
    }
    throw new ServingException(Problem.UNAVAILABLE, "model " + model + " is reloading; retry");
  }

  public List<String> models() {
    return List.copyOf(new TreeMap<>(statuses).keySet());
  }

  /**
   * {@code model} as a metric label: a known model's name, "" for none, else one shared label, so
   * clients cannot mint metric series. One map lookup: it runs on every request.
   */
  public String metricLabel(String model) {
    return model.isEmpty() || statuses.containsKey(model) ? model : "unknown";
  }

  public Map<Long, VersionStatus> status(String model) {
    if (!MODEL_NAME.matcher(model).matches() || !statuses.containsKey(model)) {
      throw ServingException.notFound("Could not find any versions of model " + model);
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

  /** Whether this version of the model is loaded and served; 404 for a model or version never seen. */
  public boolean ready(String model, long version) {
    if (!status(model).containsKey(version)) {
      throw ServingException.notFound("model " + model + " has no version " + version);
    }
    return served.getOrDefault(model, Map.of()).containsKey(version);
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

package org.ctnet.server.config;

import com.google.protobuf.TextFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.ctnet.server.config.proto.ModelConfig;
import org.ctnet.server.config.proto.ModelServerConfig;
import org.ctnet.server.config.proto.ServableVersionPolicy;

/**
 * A TF Serving model config file ({@code --model_config_file}, protobuf text format): the models to
 * serve, each with its own base path, version policy and version labels. Relative base paths are
 * taken from the file's folder.
 */
public final class ModelConfigFile {
  /** Model names: no path separators, no leading dot, no traversal (as the folder scan allows). */
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  /** One served model as configured. {@code labels} null = read {@code version_labels.json} from its folder. */
  public record Entry(String name, Path basePath, VersionPolicy policy, Map<String, Long> labels) {}

  private ModelConfigFile() {}

  /** Reads and checks the file; an unreadable or invalid file is an IOException saying why and where. */
  public static List<Entry> read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    ModelServerConfig.Builder config = ModelServerConfig.newBuilder();
    try {
      TextFormat.merge(text, config);
    } catch (TextFormat.ParseException e) {
      throw new IOException(file + ": not a TF Serving model config (" + e.getMessage() + ")", e);
    }
    if (!config.hasModelConfigList()) {
      throw new IOException(file + ": expected model_config_list { config { name: ... base_path: ... } ... }");
    }
    Path folder = file.toAbsolutePath().getParent();
    List<Entry> entries = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (ModelConfig m : config.getModelConfigList().getConfigList()) {
      if (!MODEL_NAME.matcher(m.getName()).matches()) {
        throw new IOException(file + ": model name '" + m.getName() + "' must match " + MODEL_NAME.pattern());
      }
      if (!names.add(m.getName())) {
        throw new IOException(file + ": model '" + m.getName() + "' is configured twice");
      }
      if (m.getBasePath().isBlank()) {
        throw new IOException(file + ": model '" + m.getName() + "' has no base_path");
      }
      if (!m.getModelPlatform().isEmpty() && !m.getModelPlatform().equals("tensorflow")) {
        throw new IOException(file + ": model '" + m.getName() + "': model_platform must be tensorflow, got '"
            + m.getModelPlatform() + "'");
      }
      Path base = folder.resolve(m.getBasePath()).normalize();
      entries.add(new Entry(m.getName(), base, policy(file, m), m.getVersionLabelsCount() == 0 ? null
          : new TreeMap<>(m.getVersionLabelsMap())));
    }
    return List.copyOf(entries);
  }

  private static VersionPolicy policy(Path file, ModelConfig m) throws IOException {
    ServableVersionPolicy p = m.getModelVersionPolicy();
    try {
      return switch (p.getPolicyChoiceCase()) {
        case LATEST -> VersionPolicy.latest(p.getLatest().getNumVersions() == 0 ? 1 : p.getLatest().getNumVersions());
        case ALL -> VersionPolicy.all();
        case SPECIFIC -> VersionPolicy.specific(Set.copyOf(p.getSpecific().getVersionsList()));
        case POLICYCHOICE_NOT_SET -> VersionPolicy.latest(1); // TF Serving's default
      };
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": model '" + m.getName() + "': " + e.getMessage(), e);
    }
  }
}

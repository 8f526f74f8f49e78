package org.ctnet.graph.spec;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads and writes {@link NetworkSpec} as JSON; loads the presets shipped as resources. */
public final class SpecJson {
  /** Names of the presets shipped in this jar. */
  public static final List<String> PRESETS = List.of("ctnet", "attention56", "tiny");

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private SpecJson() {}

  public static String toJson(NetworkSpec spec) {
    try {
      return MAPPER.writeValueAsString(spec);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses a spec; an invalid value fails with the spec's own message naming the field. */
  public static NetworkSpec fromJson(String json) {
    try {
      JsonNode tree = MAPPER.readTree(json);
      if (tree instanceof ObjectNode spec && spec.get("stem") instanceof ObjectNode stem && !stem.has("inputPool")) {
        stem.put("inputPool", 1); // specs written before the stem could pool its input
      }
      return MAPPER.treeToValue(tree, NetworkSpec.class);
    } catch (JsonMappingException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException invalid) {
        throw invalid;
      }
      throw new IllegalArgumentException("invalid network spec: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("invalid network spec JSON: " + e.getMessage(), e);
    }
  }

  public static NetworkSpec read(Path file) throws IOException {
    return fromJson(Files.readString(file));
  }

  public static void write(NetworkSpec spec, Path file) throws IOException {
    Files.writeString(file, toJson(spec));
  }

  /** A shipped preset by name: {@code ctnet}, {@code attention56} or {@code tiny}. */
  public static NetworkSpec preset(String name) {
    if (!PRESETS.contains(name)) {
      throw new IllegalArgumentException("preset must be one of " + PRESETS + ", got '" + name + "'");
    }
    try (InputStream in = SpecJson.class.getResourceAsStream("presets/" + name + ".json")) {
      if (in == null) {
        throw new IllegalStateException("preset resource missing from the jar: " + name);
      }
      return fromJson(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

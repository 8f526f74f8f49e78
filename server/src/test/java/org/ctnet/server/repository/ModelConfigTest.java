package org.ctnet.server.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.ctnet.server.ServerApp;
import org.ctnet.server.TestServers;
import org.ctnet.server.config.ModelConfigFile;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.config.VersionPolicy;
import org.ctnet.server.observe.Metrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A TF Serving model config file: several models with their own folders, policies and labels, re-read on change. */
class ModelConfigTest {
  @TempDir Path dir;

  private static long served(ModelRepository repository, String model, String version, String label) {
    try (ModelRepository.Lease lease = repository.acquire(model, version, label)) {
      return lease.version().version();
    }
  }

  @Test
  void modelsWithTheirOwnFoldersPoliciesAndLabelsFollowTheFile() throws Exception {
    Path chest = TestServers.exportTiny(dir.resolve("chest"), "ct", 1, 1);
    TestServers.exportTiny(chest, "ct", 2, 1);
    Path other = TestServers.exportTiny(dir.resolve("elsewhere"), "second", 1, 1);
    TestServers.exportTiny(other, "second", 2, 1);
    Path config = dir.resolve("models.config");
    // base paths as TF Serving takes them: absolute, or (here) relative to the file's folder
    Files.writeString(config, """
        model_config_list {
          config {
            name: "ctnet"
            base_path: "chest/ct"
            model_platform: "tensorflow"
            model_version_policy { latest { num_versions: 2 } }
          }
          config {
            name: "canary"
            base_path: "%s"
            model_version_policy { specific { versions: 1 } }
            version_labels { key: "stable" value: 1 }
          }
        }
        """.formatted(other.resolve("second").toAbsolutePath()));
    // batches of 2 at most: each load warms every signature at every batch size
    ServerSettings settings = ServerSettings.defaults(dir.resolve("unused")).withPolling(0).withBatching(2, 2, 1)
        .withModelConfigFile(config);
    try (ModelRepository repository = new ModelRepository(settings, new Metrics(), ServerApp.SESSION_OPTIONS)) {
      assertEquals(List.of("canary", "ctnet"), repository.models());
      assertEquals(List.of(1L, 2L), List.copyOf(repository.status("ctnet").keySet()), "latest 2");
      assertEquals(2, served(repository, "ctnet", null, null));
      assertEquals(1, served(repository, "ctnet", "1", null));
      assertEquals(List.of(1L), List.copyOf(repository.status("canary").keySet()), "specific 1 although 2 exists");
      assertEquals(Map.of("stable", 1L), repository.labels("canary"));
      assertEquals(1, served(repository, "canary", null, "stable"));

      // the file changes: canary goes, ctnet serves its newest only
      Files.writeString(config, """
          model_config_list { config { name: "ctnet" base_path: "chest/ct" } }
          """);
      repository.refresh();
      assertEquals(List.of("ctnet"), repository.models());
      assertEquals("END", repository.status("ctnet").get(1L).state(), "version 1 retired");
      assertEquals(2, served(repository, "ctnet", null, null));

      // a broken file changes nothing and says why
      Files.writeString(config, "model_config_list { config { name: \"ctnet\" base_path: ");
      repository.refresh();
      assertTrue(repository.configProblem().contains("models.config"), repository.configProblem());
      assertEquals(2, served(repository, "ctnet", null, null));

      // a model moved to another folder is served from there
      Files.writeString(config, """
          model_config_list { config { name: "ctnet" base_path: "%s" model_version_policy { all {} } } }
          """.formatted(other.resolve("second").toAbsolutePath()));
      repository.refresh();
      assertNull(repository.configProblem());
      assertEquals(List.of(1L, 2L), List.copyOf(repository.status("ctnet").keySet()));
    }
  }

  @Test
  void invalidFilesAreRefusedWithTheReason() throws IOException {
    Path file = dir.resolve("bad.config");
    for (var bad : Map.of(
        "model_config_list { config { name: \"a\" base_path: \"x\" } config { name: \"a\" base_path: \"y\" } }", "twice",
        "model_config_list { config { name: \"a\" } }", "no base_path",
        "model_config_list { config { name: \"../a\" base_path: \"x\" } }", "must match",
        "model_config_list { config { name: \"a\" base_path: \"x\" model_platform: \"onnx\" } }", "tensorflow",
        "model_config_list { config { name: \"a\" base_path: \"x\" model_version_policy { specific { } } } }", "at least one",
        "model_config_list { config { nme: \"a\" } }", "not a TF Serving model config",
        "", "expected model_config_list").entrySet()) {
      Files.writeString(file, bad.getKey());
      IOException e = assertThrows(IOException.class, () -> ModelConfigFile.read(file), bad.getKey());
      assertTrue(e.getMessage().contains(bad.getValue()), bad.getKey() + " -> " + e.getMessage());
    }
  }

  @Test
  void versionPoliciesSelectLikeTfServing() {
    List<Long> present = List.of(1L, 3L, 7L);
    assertEquals(List.of(7L), VersionPolicy.parse("latest").select(present));
    assertEquals(List.of(3L, 7L), VersionPolicy.parse("latest:2").select(present));
    assertEquals(present, VersionPolicy.parse("latest:5").select(present));
    assertEquals(present, VersionPolicy.parse("all").select(present));
    assertEquals(List.of(3L), VersionPolicy.parse("specific:3,4").select(present));
    assertThrows(IllegalArgumentException.class, () -> VersionPolicy.parse("latest:0"));
    assertEquals("latest:2", VersionPolicy.parse("LATEST:2").toString());
  }
}

package org.ctnet.server;

import org.ctnet.server.http.RestPaths;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.observe.Metrics;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ctnet.graph.testing.DeployFiles;
import org.ctnet.graph.testing.DeployFiles.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The Kubernetes and KServe manifests under deploy/ agree with the server they run: their flags and
 * environment parse into valid settings, probes name real health routes on the served port, images
 * are the ones the Maven build names, every container is sized and locked down, and graceful
 * shutdown fits in the grace period. Renaming a route, a flag or a setting fails here.
 */
class DeployManifestsTest {
  @TempDir Path dir;

  private static final Set<String> LIVE = Set.of(RestPaths.HEALTH_LIVE, RestPaths.KSERVE_LIVE);
  private static final Set<String> READY = Set.of(RestPaths.HEALTH_READY, RestPaths.KSERVE_READY);

  private static List<Manifest> serverWorkloads() throws Exception {
    String image = DeployFiles.image("server");
    List<Manifest> out = DeployFiles.deployed().stream()
        .filter(m -> DeployFiles.containers(m).stream().anyMatch(c -> c.path("image").asText().contains("/server:")))
        .toList();
    assertTrue(out.size() >= 3, "Deployment and two InferenceServices: " + out);
    for (Manifest m : out) {
      for (JsonNode c : serverContainers(m)) {
        assertEquals(image, c.path("image").asText(), m.file() + ": the image the build names");
      }
    }
    return out;
  }

  /** The workload's CT-Net server containers (not sidecars such as the bucket sync). */
  private static List<JsonNode> serverContainers(Manifest m) {
    return DeployFiles.containers(m).stream().filter(c -> c.path("image").asText().contains("/server:")).toList();
  }

  /** The settings the server would run with: the container's env and args through the real CLI. */
  private ServerSettings settingsOf(Manifest m, JsonNode container) throws Exception {
    Map<String, String> env = new HashMap<>();
    for (JsonNode e : container.path("env")) {
      if (e.has("value")) {
        env.put(e.path("name").asText(), e.path("value").asText());
      }
    }
    if (env.containsKey("CTNET_BEARER_TOKEN_FILE")) {
      // The file is a mounted secret in the pod: check it is mounted there, then stand in for it.
      String path = env.get("CTNET_BEARER_TOKEN_FILE");
      assertTrue(mounted(container, path), m.file() + ": the token file " + path + " is on a mounted volume");
      Path token = Files.writeString(dir.resolve("token"), "secret\n");
      env.put("CTNET_BEARER_TOKEN_FILE", token.toString());
    }
    Main main = new Main(Config.create(), env);
    List<String> args = new java.util.ArrayList<>();
    container.path("args").forEach(a -> args.add(a.asText()));
    new CommandLine(main).parseArgs(args.toArray(String[]::new));
    return main.settings();
  }

  private static boolean mounted(JsonNode container, String path) {
    for (JsonNode mount : container.path("volumeMounts")) {
      if (path.startsWith(mount.path("mountPath").asText() + "/")) {
        return true;
      }
    }
    return false;
  }

  private static int port(JsonNode container, JsonNode probePort) {
    if (probePort.isInt()) {
      return probePort.asInt();
    }
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(probePort.asText())) {
        return p.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no container port named " + probePort);
  }

  @Test
  void everyManifestParsesAndNamesItsKind() throws Exception {
    List<Manifest> all = DeployFiles.all();
    assertTrue(all.size() >= 12, all.toString());
    for (Manifest m : all) {
      assertFalse(m.body().path("apiVersion").asText().isEmpty(), m.file() + " apiVersion");
      assertFalse(m.kind().isEmpty(), m.file() + " kind");
    }
  }

  @Test
  void serverFlagsPortsAndProbesMatchTheServer() throws Exception {
    for (Manifest m : serverWorkloads()) {
      for (JsonNode c : serverContainers(m)) {
        ServerSettings s = settingsOf(m, c);
        List<Integer> ports = c.path("ports").findValues("containerPort").stream().map(JsonNode::asInt).toList();
        // REST, and gRPC where it is on (KServe's custom containers take one port: REST there)
        assertEquals(s.grpcPort() >= 0 ? List.of(s.port(), s.grpcPort()) : List.of(s.port()), ports,
            m.file() + ": the ports the server listens on");
        assertTrue(s.metricsOpen(), m.file() + ": Prometheus scrapes without a token");
        assertTrue(s.drainDelayMillis() > 0, m.file() + ": a drain delay for endpoint removal");
        JsonNode live = c.path("livenessProbe").path("httpGet");
        JsonNode ready = c.path("readinessProbe").path("httpGet");
        assertTrue(LIVE.contains(live.path("path").asText()), m.file() + " liveness " + live);
        assertTrue(READY.contains(ready.path("path").asText()), m.file() + " readiness " + ready);
        assertEquals(s.port(), port(c, live.path("port")), m.file().toString());
        assertEquals(s.port(), port(c, ready.path("port")), m.file().toString());
        if (c.has("startupProbe")) {
          assertTrue(LIVE.contains(c.path("startupProbe").path("httpGet").path("path").asText()), m.file().toString());
        }
        if (m.kind().equals("Deployment")) {
          long grace = DeployFiles.podSpec(m).path("terminationGracePeriodSeconds").asLong() * 1000;
          assertTrue(grace >= s.drainDelayMillis() + s.bodyTimeoutMillis() + s.requestTimeoutMillis(),
              m.file() + ": the grace period covers the drain delay and the longest request");
          assertEquals("/models", s.modelBasePath().toString());
          assertTrue(mounted(c, "/models/x"), "the model store is mounted where the server reads it");
        }
      }
    }
  }

  @Test
  void everyKustomizationRendersWithKubectl() throws Exception {
    List<java.nio.file.Path> kustomizations = DeployFiles.kustomizations();
    assertEquals(6, kustomizations.size(), kustomizations.toString());
    for (java.nio.file.Path k : kustomizations) {
      List<Manifest> rendered = DeployFiles.rendered(k);
      assertFalse(rendered.isEmpty(), k.toString());
      rendered.forEach(m -> assertEquals("ctnet", m.body().path("metadata").path("labels")
          .path("app.kubernetes.io/part-of").asText(), k + ": " + m.kind() + " " + m.name() + " carries the common label"));
    }
    // An overlay renders the base with its change applied.
    List<Manifest> queue = DeployFiles.rendered(DeployFiles.root().resolve("deploy/kubernetes/overlays/queue-autoscaling"));
    Manifest hpa = queue.stream().filter(m -> m.kind().equals("HorizontalPodAutoscaler")).findFirst().orElseThrow();
    assertTrue(hpa.body().path("spec").path("metrics").toString().contains("ctnet_queue_images"), hpa.body().toString());
    List<Manifest> sync = DeployFiles.rendered(DeployFiles.root().resolve("deploy/kubernetes/overlays/bucket-sync"));
    Manifest deployment = sync.stream().filter(m -> m.kind().equals("Deployment")).findFirst().orElseThrow();
    assertEquals(2, DeployFiles.containers(deployment).size(), "the server and the sync sidecar");
  }

  @Test
  void thePacsReceiverIsAloneSpoolsOnItsOwnVolumeAndReadsItsSettings() throws Exception {
    List<Manifest> pacs = DeployFiles.rendered(DeployFiles.root().resolve("deploy/kubernetes/overlays/pacs"));
    Manifest receiver = pacs.stream().filter(m -> m.kind().equals("Deployment") && m.name().equals("ctnet-pacs"))
        .findFirst().orElseThrow();
    assertEquals(1, receiver.body().path("spec").path("replicas").asInt(), "one spool per study: one receiver");
    assertEquals("Recreate", receiver.body().path("spec").path("strategy").path("type").asText());
    JsonNode c = DeployFiles.containers(receiver).get(0);
    Map<String, String> env = new HashMap<>();
    for (JsonNode from : c.path("envFrom")) {
      String name = from.path("configMapRef").path("name").asText();
      Manifest map = pacs.stream().filter(m -> m.kind().equals("ConfigMap") && m.name().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError("envFrom names ConfigMap " + name + ", which the overlay lacks"));
      map.body().path("data").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
    }
    c.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
    for (String file : List.of("CTNET_BEARER_TOKEN_FILE", "CTNET_PACS_TOKEN_FILE")) {
      assertTrue(mounted(c, env.get(file)), file + " " + env.get(file) + " is on a mounted secret");
      env.put(file, Files.writeString(dir.resolve(file), "secret\n").toString());
    }
    Main main = new Main(Config.create(), env);
    List<String> args = new java.util.ArrayList<>();
    c.path("args").forEach(a -> args.add(a.asText()));
    new CommandLine(main).parseArgs(args.toArray(String[]::new));
    var settings = main.pacsSettings();
    assertTrue(settings.enabled(), "STOW-RS on: " + settings);
    assertEquals("/spool", settings.spool().toString());
    JsonNode spoolVolume = null;
    for (JsonNode mount : c.path("volumeMounts")) {
      if (mount.path("mountPath").asText().equals("/spool")) {
        for (JsonNode v : DeployFiles.podSpec(receiver).path("volumes")) {
          if (v.path("name").asText().equals(mount.path("name").asText())) {
            spoolVolume = v;
          }
        }
      }
    }
    assertTrue(spoolVolume != null && spoolVolume.has("persistentVolumeClaim"),
        "the spool outlives the pod (a claim, not an emptyDir): " + spoolVolume);
    String claim = spoolVolume.path("persistentVolumeClaim").path("claimName").asText();
    assertTrue(pacs.stream().anyMatch(m -> m.kind().equals("PersistentVolumeClaim") && m.name().equals(claim)), claim);
    Manifest service = pacs.stream().filter(m -> m.kind().equals("Service") && m.name().equals("ctnet-pacs"))
        .findFirst().orElseThrow();
    assertEquals("ctnet-pacs", service.body().path("spec").path("selector").path("app.kubernetes.io/name").asText());
  }

  @Test
  void theTlsOverlayServesTlsFromItsSecretAndProbesOverHttps() throws Exception {
    List<Manifest> rendered = DeployFiles.rendered(DeployFiles.root().resolve("deploy/kubernetes/overlays/tls"));
    Manifest deployment = rendered.stream().filter(m -> m.kind().equals("Deployment")).findFirst().orElseThrow();
    JsonNode c = serverContainers(deployment).get(0);
    Map<String, String> env = new HashMap<>();
    c.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
    for (String file : List.of("CTNET_TLS_CERT_FILE", "CTNET_TLS_KEY_FILE")) {
      String path = env.get(file);
      assertTrue(path != null && mounted(c, path), file + " " + path + " is on a mounted secret");
    }
    Main main = new Main(Config.create(), env);
    new CommandLine(main).parseArgs();
    assertTrue(main.tlsSettings().enabled(), "the server reads TLS from the overlay's environment");
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      assertEquals("HTTPS", c.path(probe).path("httpGet").path("scheme").asText(), probe + " over TLS");
    }
  }

  @Test
  void everyRenderedResourceHasOnlyFieldsItsTypeKnows() throws Exception {
    List<String> problems = new java.util.ArrayList<>();
    List<Manifest> deployed = DeployFiles.deployed();
    for (Manifest m : deployed) {
      KubernetesSchema.problems(m.body()).forEach(p -> problems.add(m.file().getFileName() + " " + m.kind() + " "
          + m.name() + ": " + p));
    }
    assertEquals(List.of(), problems);
    assertTrue(deployed.stream().anyMatch(m -> m.kind().equals("InferenceService")), "KServe checked too");
  }

  @Test
  void aMisspeltOrMistypedFieldIsCaught() throws Exception {
    Manifest deployment = DeployFiles.deployed().stream().filter(m -> m.kind().equals("Deployment")).findFirst()
        .orElseThrow();
    com.fasterxml.jackson.databind.node.ObjectNode body = deployment.body().deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) body.path("spec")).put("replica", 2);
    ((com.fasterxml.jackson.databind.node.ObjectNode) body.path("spec").path("template").path("spec").path("containers")
        .get(0)).put("imagePullPolicyy", "Always");
    List<String> problems = KubernetesSchema.problems(body);
    assertTrue(problems.stream().anyMatch(p -> p.contains("spec.replica: unknown field")), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.contains("containers[0].imagePullPolicyy: unknown field")),
        problems.toString());
    com.fasterxml.jackson.databind.node.ObjectNode wrongType = deployment.body().deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) wrongType.path("spec")).put("replicas", "two");
    assertFalse(KubernetesSchema.problems(wrongType).isEmpty(), "replicas must be an integer");
    Manifest isvc = DeployFiles.deployed().stream().filter(m -> m.kind().equals("InferenceService")).findFirst()
        .orElseThrow();
    com.fasterxml.jackson.databind.node.ObjectNode canary = isvc.body().deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) canary.path("spec").path("predictor")).put("canaryTrafficPercent", "10%");
    ((com.fasterxml.jackson.databind.node.ObjectNode) canary.path("spec").path("predictor")).put("minReplica", 1);
    List<String> isvcProblems = KubernetesSchema.problems(canary);
    assertTrue(isvcProblems.stream().anyMatch(p -> p.contains("canaryTrafficPercent: must be an integer")), isvcProblems.toString());
    assertTrue(isvcProblems.stream().anyMatch(p -> p.contains("minReplica: unknown field")), isvcProblems.toString());
  }

  @Test
  void everyContainerIsSizedAndLockedDown() throws Exception {
    List<Manifest> resources = new java.util.ArrayList<>(DeployFiles.deployed());
    for (Manifest m : resources) {
      for (JsonNode c : DeployFiles.containers(m)) {
        String where = m.file() + " " + c.path("name").asText();
        JsonNode res = c.path("resources");
        assertFalse(res.path("requests").path("cpu").asText().isEmpty(), where + " cpu request");
        assertFalse(res.path("requests").path("memory").asText().isEmpty(), where + " memory request");
        assertEquals(res.path("requests").path("memory").asText(), res.path("limits").path("memory").asText(),
            where + ": memory limit = request (a fixed heap sized from the limit)");
        JsonNode sec = c.path("securityContext");
        assertTrue(sec.path("readOnlyRootFilesystem").asBoolean(), where + " read-only root");
        assertFalse(sec.path("allowPrivilegeEscalation").asBoolean(true), where + " no privilege escalation");
        assertEquals("ALL", sec.path("capabilities").path("drop").path(0).asText(), where + " capabilities dropped");
        boolean nonRoot = sec.path("runAsNonRoot").asBoolean()
            || DeployFiles.podSpec(m).path("securityContext").path("runAsNonRoot").asBoolean();
        assertTrue(nonRoot, where + " runs as non-root");
        assertTrue(mounted(c, "/tmp/x"), where + ": a writable /tmp on a read-only root");
      }
    }
  }

  @Test
  void servicesBudgetsAndAutoscalersPointAtTheDeployment() throws Exception {
    List<Manifest> all = DeployFiles.deployed();
    Manifest deployment = all.stream().filter(m -> m.kind().equals("Deployment")).findFirst().orElseThrow();
    JsonNode podLabels = deployment.body().path("spec").path("template").path("metadata").path("labels");
    assertEquals(podLabels, deployment.body().path("spec").path("selector").path("matchLabels"));
    JsonNode container = DeployFiles.containers(deployment).get(0);
    for (Manifest m : all) {
      switch (m.kind()) {
        case "Service" -> {
          // Each Service selects the pods of a Deployment rendered beside it, on a port that pod names.
          Manifest target = all.stream().filter(d -> d.kind().equals("Deployment") && d.file().equals(m.file())
              && d.body().path("spec").path("template").path("metadata").path("labels")
                  .equals(m.body().path("spec").path("selector"))).findFirst()
              .orElseThrow(() -> new AssertionError(m.file() + ": Service " + m.name() + " selects no Deployment"));
          port(serverContainers(target).get(0), m.body().path("spec").path("ports").path(0).path("targetPort"));
        }
        case "PodDisruptionBudget" -> assertEquals(podLabels, m.body().path("spec").path("selector").path("matchLabels"));
        case "HorizontalPodAutoscaler" -> {
          assertEquals(deployment.name(), m.body().path("spec").path("scaleTargetRef").path("name").asText());
          for (JsonNode metric : m.body().path("spec").path("metrics")) {
            String name = metric.path("pods").path("metric").path("name").asText();
            if (!name.isEmpty()) {
              assertTrue(exportedMetrics().contains("# TYPE " + name + " gauge"), "the server exports " + name);
            }
          }
        }
        default -> { }
      }
    }
    List<Manifest> patches = DeployFiles.patches();
    assertEquals(3, patches.size(), "the queue-autoscaling, bucket-sync and tls patches");
    for (Manifest patch : patches) {
      assertEquals(List.of(), patch.body().path("spec").path("metrics").findValuesAsText("name").stream()
          .filter(name -> !name.equals("cpu") && !exportedMetrics().contains("# TYPE " + name + " gauge")).toList(),
          patch.file() + ": every custom metric is one the server exports");
      assertTrue(all.stream().anyMatch(m -> m.kind().equals(patch.kind()) && m.name().equals(patch.name())),
          patch.file() + " patches a resource that exists");
    }
    String rule = all.stream().filter(m -> m.kind().equals("ConfigMap") && m.body().path("data").has("config.yaml"))
        .findFirst().orElseThrow()
        .body().path("data").path("config.yaml").asText();
    assertTrue(rule.contains("ctnet_queue_images"), rule);
    assertTrue(all.stream().anyMatch(m -> m.kind().equals("PersistentVolumeClaim")
        && m.name().equals(DeployFiles.podSpec(deployment).path("volumes").findValue("claimName").asText())),
        "the model store claim is defined");
  }

  /** The server's metrics text once a model has queued images (a series exists only once it has a value). */
  private static String exportedMetrics() {
    Metrics metrics = new Metrics();
    metrics.queueDepth("ctnet", 0);
    return new String(metrics.scrape(), java.nio.charset.StandardCharsets.UTF_8);
  }
}

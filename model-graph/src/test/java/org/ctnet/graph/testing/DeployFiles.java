package org.ctnet.graph.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The repository's deployment files, for tests that keep them in step with the code: every YAML
 * document under {@code deploy/}, and the container image names the Maven build gives the modules.
 */
public final class DeployFiles {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private DeployFiles() {}

  /** One YAML document and the file it came from. */
  public record Manifest(Path file, JsonNode body) {
    public String kind() {
      return body.path("kind").asText();
    }

    public String name() {
      return body.path("metadata").path("name").asText();
    }
  }

  /** The repository root, from a module's working directory (Maven runs tests in the module). */
  public static Path root() {
    Path here = Path.of("").toAbsolutePath();
    for (Path p = here; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("deploy")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no deploy/ folder above " + here);
  }

  /** Every whole resource under deploy/ (kustomize patches, which are partial, left out), in file order. */
  public static List<Manifest> all() throws IOException {
    List<Path> patches = patchFiles();
    return read(yamlFiles().stream().filter(f -> !patches.contains(f)).toList());
  }

  /** Every folder under deploy/ with a kustomization.yaml (what users pass to {@code kubectl apply -k}). */
  public static List<Path> kustomizations() throws IOException {
    return yamlFiles().stream().filter(f -> f.getFileName().toString().equals("kustomization.yaml"))
        .map(Path::getParent).toList();
  }

  /**
   * What {@code kubectl kustomize DIR} renders, as the resources a cluster would receive (file = the
   * folder). kubectl is a tool the deployment is checked with, as users run it: a machine without it
   * fails here with how to install it.
   */
  public static List<Manifest> rendered(Path kustomization) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder("kubectl", "kustomize", kustomization.toString()).redirectErrorStream(false).start();
    } catch (IOException e) {
      throw new IllegalStateException("kubectl is needed to render deploy/'s kustomizations and was not found: install "
          + "it (e.g. apt-get install kubectl from the Kubernetes apt repository, or the static binary from "
          + "https://dl.k8s.io/release/v1.32.0/bin/linux/amd64/kubectl) and put it on the PATH", e);
    }
    byte[] out = process.getInputStream().readAllBytes();
    String err = new String(process.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException("kubectl kustomize " + root().relativize(kustomization) + " failed: " + err.strip());
    }
    List<Manifest> manifests = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(out)) {
      for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
        if (doc != null && !doc.isNull()) {
          manifests.add(new Manifest(kustomization, doc));
        }
      }
    }
    return manifests;
  }

  /**
   * What a cluster receives from deploy/: the rendered output of every kustomization, and every
   * YAML file that is not part of one (applied with {@code kubectl apply -f}).
   */
  public static List<Manifest> deployed() throws IOException, InterruptedException {
    List<Path> used = new ArrayList<>();
    for (Path k : kustomizations()) {
      JsonNode kustomization = YAML.readTree(k.resolve("kustomization.yaml").toFile());
      kustomization.path("resources").forEach(r -> used.add(k.resolve(r.asText()).normalize()));
      kustomization.path("patches").forEach(r -> used.add(k.resolve(r.path("path").asText()).normalize()));
    }
    List<Manifest> out = new ArrayList<>();
    for (Path k : kustomizations()) {
      out.addAll(rendered(k));
    }
    out.addAll(read(yamlFiles().stream().filter(f -> !f.getFileName().toString().equals("kustomization.yaml"))
        .filter(f -> !used.contains(f)).toList()));
    return out;
  }

  /** The kustomize patches under deploy/: partial resources merged over a whole one. */
  public static List<Manifest> patches() throws IOException {
    return read(patchFiles());
  }

  private static List<Path> yamlFiles() throws IOException {
    try (Stream<Path> walk = Files.walk(root().resolve("deploy"))) {
      return walk.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
    }
  }

  private static List<Path> patchFiles() throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path f : yamlFiles()) {
      if (f.getFileName().toString().equals("kustomization.yaml")) {
        for (JsonNode patch : YAML.readTree(f.toFile()).path("patches")) {
          out.add(f.getParent().resolve(patch.path("path").asText()).normalize());
        }
      }
    }
    return out;
  }

  private static List<Manifest> read(List<Path> files) throws IOException {
    List<Manifest> out = new ArrayList<>();
    for (Path f : files) {
      try (YAMLParser parser = new YAMLFactory().createParser(f.toFile())) {
        for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
          if (doc != null && !doc.isNull()) {
            out.add(new Manifest(f, doc));
          }
        }
      }
    }
    return out;
  }

  /** The image a module's container build names: registry/name:version[suffix] from the poms. */
  public static String image(String module) throws Exception {
    String registry = property(root().resolve("pom.xml"), "container.registry");
    String suffix = property(root().resolve("pom.xml"), "container.tag.suffix");
    String name = property(root().resolve(module).resolve("pom.xml"), "container.image.name");
    Document parent = parse(root().resolve("pom.xml"));
    String version = direct(parent.getDocumentElement(), "version");
    return registry + "/" + name + ":" + version + (suffix == null ? "" : suffix);
  }

  /** A property of a pom's {@code <properties>} (not resolved further). */
  public static String property(Path pom, String name) throws Exception {
    NodeList props = parse(pom).getDocumentElement().getElementsByTagName("properties");
    for (int i = 0; i < props.getLength(); i++) {
      Element p = (Element) props.item(i);
      if (p.getParentNode() == p.getOwnerDocument().getDocumentElement()) {
        String v = direct(p, name);
        if (v != null) {
          return v;
        }
      }
    }
    return null;
  }

  private static Document parse(Path pom) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
  }

  private static String direct(Element parent, String tag) {
    for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(tag)) {
        return e.getTextContent().strip();
      }
    }
    return null;
  }

  /** The containers of a workload: Deployment/Job pod templates, KServe predictors. */
  public static List<JsonNode> containers(Manifest m) {
    List<JsonNode> out = new ArrayList<>();
    m.body().path("spec").path("template").path("spec").path("containers").forEach(out::add);
    m.body().path("spec").path("predictor").path("containers").forEach(out::add);
    return out;
  }

  /** The pod-level spec that holds volumes and the pod security context. */
  public static JsonNode podSpec(Manifest m) {
    JsonNode template = m.body().path("spec").path("template").path("spec");
    return template.isMissingNode() ? m.body().path("spec").path("predictor") : template;
  }
}

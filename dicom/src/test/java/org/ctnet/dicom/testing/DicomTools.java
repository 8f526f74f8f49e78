package org.ctnet.dicom.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * DCMTK and dicom3tools as independent readers and validators of what the project writes. A missing
 * tool fails the test with how to install it (`.ci/run` installs them).
 */
public final class DicomTools {
  private DicomTools() {}

  /** What a tool printed (stdout and stderr together) and its exit code. */
  public record Run(int exit, String output) {
    /** dciodvfy's "Error" lines. */
    public List<String> errors() {
      return output.lines().filter(l -> l.startsWith("Error")).toList();
    }
  }

  public static Run dciodvfy(Path file) {
    return run("dciodvfy", "dicom3tools", List.of("-new", file.toString()));
  }

  public static Run dcmdump(Path file) {
    return run("dcmdump", "dcmtk", List.of("+L", file.toString()));
  }

  public static Run dsrdump(Path file) {
    return run("dsrdump", "dcmtk", List.of("+U8", "+Pl", "+Pu", "+Pc", file.toString()));
  }

  /** Writes {@code bytes} to a file in {@code dir} and checks it with dciodvfy: no error lines. */
  public static Path assertValid(Path dir, String name, byte[] bytes) throws IOException {
    Path file = dir.resolve(name);
    Files.write(file, bytes);
    Run check = dciodvfy(file);
    if (!check.errors().isEmpty()) {
      fail("dciodvfy finds errors in " + name + ":\n" + String.join("\n", check.errors()) + "\n--- full output:\n"
          + check.output());
    }
    Run dump = dcmdump(file);
    if (dump.exit() != 0) {
      fail("dcmdump cannot read " + name + ":\n" + dump.output());
    }
    return file;
  }

  public static Run run(String tool, String debianPackage, List<String> args) {
    Path binary = find(tool);
    if (binary == null) {
      fail(tool + " is not installed: apt-get install -y " + debianPackage + " (.ci/run installs it)");
    }
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(args);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(tool + " did not finish in 60 s");
      }
      return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public static Path find(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    for (String dir : List.of("/usr/bin", "/usr/sbin", "/usr/local/bin")) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}

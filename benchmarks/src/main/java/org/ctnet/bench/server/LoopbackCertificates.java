package org.ctnet.bench.server;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Short-lived certificates for TLS runs on loopback, made by openssl (a real CA, EC P-256 keys, SAN
 * 127.0.0.1): the TLS benchmark, the hostile harness over TLS and the TLS soak use the same ones.
 *
 * <pre>./dev java -cp benchmarks/target/benchmarks.jar org.ctnet.bench.server.LoopbackCertificates DIR server client</pre>
 */
public final class LoopbackCertificates {
  private LoopbackCertificates() {}

  /** Writes ca.pem and, for each name, name.pem/name.key into a fresh folder under DIR; prints that folder. */
  public static void main(String[] args) throws Exception {
    Path parent = Files.createDirectories(Path.of(args[0]));
    Path dir = fill(Files.createTempDirectory(parent, "certs"), List.of(args).subList(1, args.length));
    System.out.println(dir);
  }

  /** A fresh temporary folder with a CA and certificates for {@code names}. */
  public static Path create(String prefix, List<String> names) throws Exception {
    return fill(Files.createTempDirectory(prefix), names);
  }

  /** A CA (ca.pem) and, for each name, its certificate (name.pem, name.key) for 127.0.0.1, in {@code dir}. */
  private static Path fill(Path dir, List<String> names) throws Exception {
    openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
        "-subj", "/CN=bench-ca", "-keyout", "ca.key", "-out", "ca.pem");
    for (String name : names) {
      openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
          "-keyout", name + ".key", "-out", name + ".csr");
      Files.writeString(dir.resolve(name + ".ext"), "subjectAltName=IP:127.0.0.1,DNS:" + name + "\n");
      openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
          "-days", "1", "-extfile", name + ".ext", "-out", name + ".pem");
    }
    return dir;
  }

  private static void openssl(Path dir, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("openssl"));
    command.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("openssl is needed to make test certificates: apt-get install openssl", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("openssl " + String.join(" ", args) + " failed:\n" + out);
    }
  }
}

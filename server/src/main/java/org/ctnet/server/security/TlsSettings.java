package org.ctnet.server.security;

import io.helidon.config.Config;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * TLS for both ports (section {@code ctnet.tls}, {@code CTNET_TLS_*}, {@code --tls-*}): the server's
 * certificate chain and key as PEM files, and for mutual TLS a CA file that client certificates must
 * chain to, optionally an allow-list of client names (subject CN or a DNS/URI/email SAN). The files
 * are re-read when they change.
 *
 * @param certFile the certificate chain (PEM), or null: no TLS
 * @param keyFile the private key (PEM: PKCS#8, or PKCS#1/SEC1)
 * @param clientCaFile CA certificates clients must chain to (PEM), or null: no client certificates
 * @param allowedClients client names allowed (empty: any client the CA vouches for)
 */
public record TlsSettings(Path certFile, Path keyFile, Path clientCaFile, List<String> allowedClients) {
  public static final TlsSettings OFF = new TlsSettings(null, null, null, List.of());

  public TlsSettings {
    allowedClients = List.copyOf(allowedClients);
    if ((certFile == null) != (keyFile == null)) {
      throw new IllegalArgumentException("TLS needs both a certificate file and a key file (--tls-cert, --tls-key)");
    }
    if (certFile == null && (clientCaFile != null || !allowedClients.isEmpty())) {
      throw new IllegalArgumentException("client certificates (--tls-client-ca, --tls-allowed-clients) need TLS: "
          + "give --tls-cert and --tls-key too");
    }
    if (clientCaFile == null && !allowedClients.isEmpty()) {
      throw new IllegalArgumentException("--tls-allowed-clients needs --tls-client-ca (the CA that vouches for them)");
    }
  }

  public boolean enabled() {
    return certFile != null;
  }

  public boolean mutual() {
    return clientCaFile != null;
  }

  /** application.yaml, then {@code CTNET_TLS_CERT_FILE}, {@code _KEY_FILE}, {@code _CLIENT_CA_FILE}, {@code _ALLOWED_CLIENTS}. */
  public static TlsSettings from(Config root, Map<String, String> env) {
    Config c = root.get("ctnet.tls");
    String cert = env.getOrDefault("CTNET_TLS_CERT_FILE", c.get("cert-file").asString().orElse(null));
    String key = env.getOrDefault("CTNET_TLS_KEY_FILE", c.get("key-file").asString().orElse(null));
    String ca = env.getOrDefault("CTNET_TLS_CLIENT_CA_FILE", c.get("client-ca-file").asString().orElse(null));
    String allowed = env.getOrDefault("CTNET_TLS_ALLOWED_CLIENTS", c.get("allowed-clients").asString().orElse(""));
    return new TlsSettings(path(cert), path(key), path(ca), names(allowed));
  }

  public TlsSettings with(Path cert, Path key, Path clientCa, String allowed) {
    return new TlsSettings(cert != null ? cert : certFile, key != null ? key : keyFile,
        clientCa != null ? clientCa : clientCaFile, allowed != null ? names(allowed) : allowedClients);
  }

  static List<String> names(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  private static Path path(String s) {
    return s == null || s.isBlank() ? null : Path.of(s);
  }
}

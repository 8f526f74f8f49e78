package org.ctnet.server.security;

import io.helidon.common.configurable.Resource;
import io.helidon.common.pki.Keys;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509KeyManager;

/**
 * The server's TLS material, shared by the REST and gRPC ports: a key manager and (for mutual TLS) a
 * trust manager that re-read their PEM files when they change (checked at most once a second, on a
 * handshake), so a rotated certificate is served to new connections without a restart while open
 * connections keep theirs. A file caught half-written keeps the previous material until it parses.
 */
public final class TlsMaterial {
  private static final Logger LOG = Logger.getLogger(TlsMaterial.class.getName());
  /** TLS 1.3 and 1.2 only. */
  public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
  /** TLS 1.3's suites, and for 1.2 only forward-secret AEAD ones. */
  public static final String[] CIPHER_SUITES = {"TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
      "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"};
  private static final long CHECK_NANOS = 1_000_000_000L;

  private final TlsSettings settings;
  private final Reloading<X509KeyManager> keys;
  private final Reloading<X509ExtendedTrustManager> clients;

  public TlsMaterial(TlsSettings settings) {
    if (!settings.enabled()) {
      throw new IllegalArgumentException("TLS is off in these settings");
    }
    this.settings = settings;
    this.keys = new Reloading<>(List.of(settings.certFile(), settings.keyFile()), this::loadKeys);
    this.clients = settings.mutual() ? new Reloading<>(List.of(settings.clientCaFile()), this::loadClientTrust) : null;
  }

  public TlsSettings settings() {
    return settings;
  }

  public X509ExtendedKeyManager keyManager() {
    return new KeyManager();
  }

  /** Null without mutual TLS. */
  public X509ExtendedTrustManager clientTrustManager() {
    return clients == null ? null : new ClientTrust();
  }

  /** A TLS context over these managers (the ports set protocols, suites and client auth on top). */
  public SSLContext sslContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new javax.net.ssl.KeyManager[] {keyManager()},
          clients == null ? null : new javax.net.ssl.TrustManager[] {clientTrustManager()}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  private X509KeyManager loadKeys() throws IOException, GeneralSecurityException {
    return keyManager(settings.certFile(), settings.keyFile());
  }

  private X509ExtendedTrustManager loadClientTrust() throws IOException, GeneralSecurityException {
    return trustManager(settings.clientCaFile());
  }

  /** A key manager over a PEM certificate chain and its key. */
  public static X509KeyManager keyManager(Path certFile, Path keyFile) throws IOException, GeneralSecurityException {
    Keys keys = Keys.builder().pem(pem -> pem.key(Resource.create(keyFile)).certChain(Resource.create(certFile)))
        .build();
    PrivateKey key = keys.privateKey().orElseThrow(() -> new IOException("no private key in " + keyFile));
    List<X509Certificate> chain = keys.certChain();
    if (chain.isEmpty()) {
      throw new IOException("no certificate in " + certFile);
    }
    requireMatch(key, chain.get(0), certFile, keyFile);
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] none = new char[0];
    store.setKeyEntry("key", key, none, chain.toArray(X509Certificate[]::new));
    KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(store, none);
    return (X509KeyManager) factory.getKeyManagers()[0];
  }

  /**
   * The key must be the certificate's: during a rotation one file may already be new and the other not,
   * and serving that pair would fail every handshake. Checked by signing and verifying a probe.
   */
  private static void requireMatch(PrivateKey key, X509Certificate cert, Path certFile, Path keyFile)
      throws IOException, GeneralSecurityException {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null) {
      return; // an unusual key type: the handshake will tell
    }
    byte[] probe = "ctnet-tls-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    java.security.Signature signer = java.security.Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
    verifier.initVerify(cert.getPublicKey());
    verifier.update(probe);
    if (!verifier.verify(signature)) {
      throw new IOException("the key in " + keyFile + " is not the key of the certificate in " + certFile);
    }
  }

  /** A trust manager over the CA certificates of a PEM file. */
  public static X509ExtendedTrustManager trustManager(Path caFile) throws IOException, GeneralSecurityException {
    Keys keys = Keys.builder().pem(pem -> pem.certificates(Resource.create(caFile))).build();
    List<X509Certificate> cas = keys.certs();
    if (cas.isEmpty()) {
      throw new IOException("no CA certificate in " + caFile);
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    for (int i = 0; i < cas.size(); i++) {
      store.setCertificateEntry("ca-" + i, cas.get(i));
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    return (X509ExtendedTrustManager) factory.getTrustManagers()[0];
  }

  /**
   * A client's TLS context: trusting {@code caFile}, presenting {@code certFile}/{@code keyFile} when
   * given (for mutual TLS). What a client of this server (a test, a benchmark, a gateway) needs.
   */
  public static SSLContext clientContext(Path caFile, Path certFile, Path keyFile) throws IOException,
      GeneralSecurityException {
    SSLContext c = SSLContext.getInstance("TLS");
    c.init(certFile == null ? null : new javax.net.ssl.KeyManager[] {keyManager(certFile, keyFile)},
        new javax.net.ssl.TrustManager[] {trustManager(caFile)}, null);
    return c;
  }

  /** Material loaded from files, loaded again when their modification times change. */
  private static final class Reloading<T> {
    @FunctionalInterface
    interface Loader<T> {
      T load() throws IOException, GeneralSecurityException;
    }

    private final List<Path> files;
    private final Loader<T> loader;
    private volatile T current;
    private volatile List<Long> stamps;
    private volatile long checkedAt;

    Reloading(List<Path> files, Loader<T> loader) {
      this.files = files;
      this.loader = loader;
      try {
        this.stamps = stamps();
        this.current = loader.load();
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        throw new IllegalArgumentException("cannot read TLS files " + files + ": " + e.getMessage(), e);
      }
      this.checkedAt = System.nanoTime();
    }

    T get() {
      long now = System.nanoTime();
      if (now - checkedAt > CHECK_NANOS) {
        synchronized (this) {
          if (now - checkedAt > CHECK_NANOS) {
            checkedAt = now;
            reloadIfChanged();
          }
        }
      }
      return current;
    }

    private void reloadIfChanged() {
      try {
        List<Long> now = stamps();
        if (!now.equals(stamps)) {
          current = loader.load();
          stamps = now;
          LOG.info("TLS files reloaded: " + files);
        }
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        // Half-written during a rotation, most likely: keep serving the previous material.
        LOG.warning("TLS files " + files + " changed but cannot be read yet (" + e.getMessage()
            + "); the previous ones stay in use");
      }
    }

    private List<Long> stamps() throws IOException {
      List<Long> out = new ArrayList<>();
      for (Path f : files) {
        out.add(Files.getLastModifiedTime(f).toMillis() ^ Files.size(f) << 40);
      }
      return out;
    }
  }

  private final class KeyManager extends X509ExtendedKeyManager {
    private X509KeyManager current() {
      return keys.get();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return current().getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return current().chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return current().getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return current().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      X509KeyManager k = current();
      return k instanceof X509ExtendedKeyManager e ? e.chooseEngineServerAlias(keyType, issuers, engine)
          : k.chooseServerAlias(keyType, issuers, null);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return current().getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return current().getPrivateKey(alias);
    }
  }

  /** The CA's verdict, then the allow-list (when there is one) on the client's names. */
  private final class ClientTrust extends X509ExtendedTrustManager {
    private X509ExtendedTrustManager current() {
      return clients.get();
    }

    private void allowed(X509Certificate[] chain) throws CertificateException {
      if (settings.allowedClients().isEmpty()) {
        return;
      }
      List<String> names = names(chain[0]);
      if (names.stream().noneMatch(settings.allowedClients()::contains)) {
        throw new CertificateException("client certificate " + names + " is not on the allow-list");
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      current().checkClientTrusted(chain, authType);
      allowed(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      current().checkClientTrusted(chain, authType, socket);
      allowed(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      current().checkClientTrusted(chain, authType, engine);
      allowed(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("this trust manager checks clients only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("this trust manager checks clients only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("this trust manager checks clients only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return current().getAcceptedIssuers();
    }
  }

  /** A certificate's subject CN and its DNS, URI and email SANs. */
  static List<String> names(X509Certificate cert) throws CertificateException {
    List<String> out = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          out.add(String.valueOf(rdn.getValue()));
        }
      }
    } catch (javax.naming.InvalidNameException e) {
      throw new CertificateException("unreadable client subject", e);
    }
    var sans = cert.getSubjectAlternativeNames();
    if (sans != null) {
      for (List<?> san : sans) {
        int type = (Integer) san.get(0);
        if (type == 1 || type == 2 || type == 6) {
          out.add(String.valueOf(san.get(1)));
        }
      }
    }
    return out;
  }

}

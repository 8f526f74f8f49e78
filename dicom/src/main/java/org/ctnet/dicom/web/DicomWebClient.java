package org.ctnet.dicom.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A DICOMweb client (PS3.18): QIDO-RS searches, WADO-RS series retrieval streamed instance by
 * instance, STOW-RS stores. Requests carry a bearer token or basic credentials when configured,
 * trust a CA file for TLS, time out, and are retried with exponential backoff on connection
 * failures, 429 and 5xx. Messages name the request, never a patient.
 */
public final class DicomWebClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String DICOM_PARTS = "multipart/related; type=\"application/dicom\"";

  /**
   * @param base the DICOMweb root, e.g. {@code http://pacs:8042/dicom-web}
   * @param authorization an Authorization header value, or null
   * @param timeout per request
   * @param retries attempts after the first
   * @param backoff the first retry's wait (doubling after)
   */
  public record Settings(URI base, String authorization, Duration timeout, int retries, Duration backoff,
      SSLContext tls) {
    public Settings {
      String b = base.toString();
      base = URI.create(b.endsWith("/") ? b.substring(0, b.length() - 1) : b);
    }

    public static Settings of(URI base) {
      return new Settings(base, null, Duration.ofSeconds(60), 3, Duration.ofMillis(500), null);
    }

    public Settings withAuthorization(String header) {
      return new Settings(base, header, timeout, retries, backoff, tls);
    }

    public Settings withTls(SSLContext context) {
      return new Settings(base, authorization, timeout, retries, backoff, context);
    }

    public Settings withTimeout(Duration t, int r, Duration b) {
      return new Settings(base, authorization, t, r, b, tls);
    }
  }

  /** A failed request: its method and path, the status (0: no answer) and a short reason. */
  public static final class DicomWebException extends IOException {
    private final int status;

    public DicomWebException(String message, int status) {
      super(message);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private final Settings settings;
  private final HttpClient http;

  public DicomWebClient(Settings settings) {
    this.settings = settings;
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(settings.timeout())
        .followRedirects(HttpClient.Redirect.NEVER);
    if (settings.tls() != null) {
      b.sslContext(settings.tls());
    }
    this.http = b.build();
  }

  /** "Bearer &lt;token&gt;" from a file holding the token. */
  public static String bearerFromFile(Path file) throws IOException {
    return "Bearer " + Files.readString(file, StandardCharsets.UTF_8).strip();
  }

  /** "Basic ..." from a file holding {@code user:password}. */
  public static String basicFromFile(Path file) throws IOException {
    String credentials = Files.readString(file, StandardCharsets.UTF_8).strip();
    if (!credentials.contains(":")) {
      throw new IOException("basic auth file " + file + " must hold user:password");
    }
    return "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
  }

  /** A TLS context trusting the certificates of a PEM CA file. */
  public static SSLContext trusting(Path caFile) throws IOException {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, (X509Certificate) cert);
      }
      if (i == 0) {
        throw new IOException("no certificate in CA file " + caFile);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot use CA file " + caFile + ": " + e.getMessage(), e);
    }
  }

  /** QIDO-RS: studies matching the query (e.g. ModalitiesInStudy=CT, StudyDate=20200101-). */
  public List<JsonNode> searchStudies(Map<String, String> query) throws IOException {
    return search("/studies" + query(query));
  }

  /** QIDO-RS: the series of a study matching the query. */
  public List<JsonNode> searchSeries(String studyUid, Map<String, String> query) throws IOException {
    return search("/studies/" + uid(studyUid) + "/series" + query(query));
  }

  private List<JsonNode> search(String path) throws IOException {
    HttpResponse<byte[]> r = send(() -> request(path).header("Accept", "application/dicom+json").GET().build(),
        HttpResponse.BodyHandlers.ofByteArray(), "GET " + path);
    if (r.statusCode() == 204 || r.body().length == 0) {
      return List.of();
    }
    JsonNode root = JSON.readTree(r.body());
    if (!root.isArray()) {
      throw new DicomWebException("GET " + path + ": the answer is not a DICOM JSON array", r.statusCode());
    }
    List<JsonNode> out = new ArrayList<>();
    root.forEach(out::add);
    return out;
  }

  /**
   * WADO-RS: the instances of a series, each handed to {@code sink} as it arrives (one instance in
   * memory at a time). Returns the number of instances.
   */
  public int retrieveSeries(String studyUid, String seriesUid, long maxInstanceBytes, Consumer<byte[]> sink)
      throws IOException {
    String path = "/studies/" + uid(studyUid) + "/series/" + uid(seriesUid);
    HttpResponse<InputStream> r = send(() -> request(path).header("Accept", DICOM_PARTS + "; transfer-syntax=*")
        .GET().build(), HttpResponse.BodyHandlers.ofInputStream(), "GET " + path);
    try (InputStream body = r.body()) {
      String type = r.headers().firstValue("Content-Type").orElse("");
      return Multipart.read(body, type, maxInstanceBytes, part -> sink.accept(part.data()));
    }
  }

  /** STOW-RS into a study: the store response (DICOM JSON), failures in it raised as an exception. */
  public JsonNode store(String studyUid, List<byte[]> instances) throws IOException {
    Multipart.Body body = Multipart.dicom(instances);
    String path = "/studies" + (studyUid == null ? "" : "/" + uid(studyUid));
    HttpResponse<byte[]> r = send(() -> request(path).header("Content-Type", body.contentType())
        .header("Accept", "application/dicom+json").POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build(),
        HttpResponse.BodyHandlers.ofByteArray(), "POST " + path);
    JsonNode answer = r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
    JsonNode failed = answer.path(DicomJson.tag(org.ctnet.dicom.Tag.FAILED_SOP_SEQUENCE)).path("Value");
    if (failed.isArray() && !failed.isEmpty()) {
      throw new DicomWebException("POST " + path + ": " + failed.size() + " of " + instances.size()
          + " instances refused (failure reasons " + DicomJson.failureReasons(failed) + ")", r.statusCode());
    }
    return answer;
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(settings.base() + path)).timeout(settings.timeout());
    if (settings.authorization() != null) {
      b.header("Authorization", settings.authorization());
    }
    return b;
  }

  private <T> HttpResponse<T> send(java.util.function.Supplier<HttpRequest> request,
      HttpResponse.BodyHandler<T> handler, String what) throws IOException {
    long wait = settings.backoff().toMillis();
    for (int attempt = 0; ; attempt++) {
      int status = 0;
      String reason;
      try {
        HttpResponse<T> r = http.send(request.get(), handler);
        status = r.statusCode();
        if (status / 100 == 2) {
          return r;
        }
        reason = "HTTP " + status;
        if (r.body() instanceof InputStream s) {
          s.close();
        }
        if (status != 429 && status < 500) {
          throw new DicomWebException(what + ": " + reason, status);
        }
      } catch (java.net.http.HttpTimeoutException e) {
        reason = "timed out after " + settings.timeout().toSeconds() + " s";
      } catch (DicomWebException e) {
        throw e;
      } catch (IOException e) {
        reason = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DicomWebException(what + ": interrupted", 0);
      }
      if (attempt >= settings.retries()) {
        throw new DicomWebException(what + ": " + reason + " (after " + (attempt + 1) + " attempts)", status);
      }
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DicomWebException(what + ": interrupted", 0);
      }
      wait *= 2;
    }
  }

  private static String query(Map<String, String> query) {
    if (query.isEmpty()) {
      return "";
    }
    StringBuilder s = new StringBuilder("?");
    query.forEach((k, v) -> s.append(s.length() > 1 ? "&" : "").append(URLEncoder.encode(k, StandardCharsets.UTF_8))
        .append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return s.toString();
  }

  /** A UID as a path segment: digits and dots only, so nothing else reaches the URL. */
  static String uid(String uid) {
    if (uid == null || !uid.matches("[0-9.]{1,64}")) {
      throw new IllegalArgumentException("not a DICOM UID: '" + uid + "'");
    }
    return uid;
  }
}

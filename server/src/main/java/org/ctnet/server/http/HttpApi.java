package org.ctnet.server.http;

import io.helidon.common.socket.SocketOptions;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import java.time.Duration;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.inference.ImageInference;
import org.ctnet.server.inference.ImageInputs;
import org.ctnet.server.inference.KServeJson;
import org.ctnet.server.inference.InferenceLayer;
import org.ctnet.server.inference.TfServingJson;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;

/**
 * The HTTP face of the server: one Helidon service per protocol (TF Serving REST, KServe v2, the
 * image API, operations), a JSON 404 for everything else, and the listener's limits.
 */
public final class HttpApi {
  private final Endpoints endpoints;
  private final TfServingRoutes tfServing;
  private final KServeRoutes kserve;
  private final ImageApiRoutes images;
  private final OperationsRoutes operations;
  private final PacsRoutes pacs;
  /** Null when no PACS is configured. */
  private final org.ctnet.server.pacs.StowService stow;

  public HttpApi(ModelRepository repository, ServerSettings settings, org.ctnet.server.config.PacsSettings pacsSettings,
      org.ctnet.server.security.ClientRates rates, Metrics metrics, InferenceLayer inference) {
    ImageInputs inputs = inference.inputs();
    this.endpoints = new Endpoints(settings, metrics, repository, rates);
    TfServingJson tfs = new TfServingJson(inference.tfServing(), settings, inputs);
    this.tfServing = new TfServingRoutes(endpoints, tfs);
    this.kserve = new KServeRoutes(endpoints,
        new KServeJson(inference.kserve(), settings.maxInstances()), repository);
    ImageInference imageInference = new ImageInference(repository, settings, inputs, inference.calls());
    this.images = new ImageApiRoutes(endpoints, imageInference, tfs, settings);
    try {
      this.stow = pacsSettings.enabled() ? new org.ctnet.server.pacs.StowService(pacsSettings, imageInference) : null;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot use the STOW-RS spool " + pacsSettings.spool() + ": "
          + e.getMessage(), e);
    }
    this.pacs = new PacsRoutes(endpoints, stow);
    this.operations = new OperationsRoutes(endpoints, metrics, settings);
  }

  /** Registers every route on {@code routing}. */
  public void register(HttpRouting.Builder routing) {
    routing.register(tfServing, kserve, images, operations, pacs);
    // Last: whatever no route matched gets the same JSON 404 as an unknown model.
    routing.any(endpoints.json("unmatched", Endpoints.Access.OPEN, call -> {
      throw ServingException.notFound("no route for " + call.request().prologue().method().text() + " " + call.path());
    }));
  }

  /** Shutdown has begun: readiness answers 503 from now on while every other route keeps answering. */
  public void drain() {
    endpoints.drain();
  }

  /**
   * The REST port's TLS: the shared material (rotation included), TLS 1.2+ with forward-secret AEAD
   * suites, client certificates required under mutual TLS.
   */
  public static io.helidon.common.tls.Tls tls(org.ctnet.server.security.TlsMaterial material) {
    return io.helidon.common.tls.Tls.builder()
        .sslContext(material.sslContext())
        .enabledProtocols(java.util.List.of(org.ctnet.server.security.TlsMaterial.PROTOCOLS))
        .enabledCipherSuites(java.util.List.of(org.ctnet.server.security.TlsMaterial.CIPHER_SUITES))
        .clientAuth(material.settings().mutual() ? io.helidon.common.tls.TlsClientAuth.REQUIRED
            : io.helidon.common.tls.TlsClientAuth.NONE)
        .build();
  }

  /** Stops answering spooled studies (they stay in the spool for the next start). */
  public void close() {
    if (stow != null) {
      stow.close();
    }
  }

  /** Waits until no request is in flight, at most {@code millis}; true if none is left. */
  public boolean awaitIdle(long millis) throws InterruptedException {
    return endpoints.awaitIdle(millis);
  }

  /**
   * Listener limits: the payload limit (chunked bodies included; {@link BodyReader} answers 413 at
   * the configured limit), JSON errors for requests that fail before routing, and a socket read
   * timeout, so a client that stops sending cannot hold a connection (and its buffer) forever.
   */
  public static void configure(WebServerConfig.Builder server, ServerSettings settings,
      org.ctnet.server.config.PacsSettings pacsSettings) {
    // Helidon's own limit sits above ours by what BodyReader drains: a body a little over the limit is
    // read and dropped by BodyReader, so the client gets its 413 instead of a reset connection.
    // STOW-RS streams a study to disk: its own, larger limit is checked per study by the spool.
    long largest = pacsSettings.enabled() ? Math.max(settings.maxBodyBytes(), pacsSettings.maxStudyBytes())
        : settings.maxBodyBytes();
    server.maxPayloadSize(largest + BodyReader.DRAIN_LIMIT_BYTES)
        .directHandlers(ProtocolErrors.handlers())
        .connectionOptions(SocketOptions.builder()
            .readTimeout(Duration.ofMillis(settings.bodyTimeoutMillis()))
            .build())
        // A connection waiting for its next request is closed after the body timeout, not Helidon's
        // five minutes: Helidon 4.5.0 keeps a connection open after answering "Connection: close"
        // (upstream issue 12324), and idle connections are memory a client could pile up.
        .idleConnectionTimeout(Duration.ofMillis(settings.bodyTimeoutMillis()))
        .idleConnectionPeriod(Duration.ofMillis(Math.max(250, settings.bodyTimeoutMillis() / 6)));
  }
}

package org.ctnet.server;

import org.ctnet.server.grpc.GrpcServer;
import org.ctnet.server.http.HttpApi;
import org.ctnet.server.inference.InferenceLayer;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.observe.Metrics;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.HttpRouting;
import org.ctnet.graph.runtime.SessionOptions;

/**
 * The assembled server: repository, inference API, routes and the web server, with one owner that
 * closes everything (models last, after the listener stops taking requests).
 */
public final class ServerApp implements AutoCloseable {
  private final ServerSettings settings;
  private final org.ctnet.server.config.PacsSettings pacs;
  /** Null without TLS. */
  private final org.ctnet.server.security.TlsMaterial tls;
  private final org.ctnet.server.observe.Tracing tracing;
  private final AutoCloseable tracingInstalled;
  private final ModelRepository repository;
  private final HttpApi http;
  /** Null when gRPC is off (port -1). */
  private final GrpcServer grpc;
  private WebServer server;

  /**
   * One intra-op thread per session run: several runs go in parallel (the inference scheduler's
   * workers), and on this CPU one thread per run was faster even for a lone batch-1 call than two
   * threads sharing it (see docs/benchmarks.md). The pool is process-wide, fixed by the first
   * session.
   */
  public static final SessionOptions SESSION_OPTIONS = new SessionOptions(1, 0, false);

  public ServerApp(ServerSettings settings) {
    this(settings, org.ctnet.server.config.ServerOptions.defaults());
  }

  /** With a PACS to answer STOW-RS studies into (off when {@code pacs} has no URL). */
  public ServerApp(ServerSettings settings, org.ctnet.server.config.PacsSettings pacs) {
    this(settings, org.ctnet.server.config.ServerOptions.defaults().withPacs(pacs));
  }

  /** With TLS on both ports when {@code tls} is enabled (mutual TLS when it names a client CA). */
  public ServerApp(ServerSettings settings, org.ctnet.server.config.PacsSettings pacs,
      org.ctnet.server.security.TlsSettings tls) {
    this(settings, org.ctnet.server.config.ServerOptions.defaults().withPacs(pacs).withTls(tls));
  }

  /** With the PACS, TLS and per-client rates of {@code options}. */
  public ServerApp(ServerSettings settings, org.ctnet.server.config.ServerOptions options) {
    org.ctnet.server.config.PacsSettings pacs = options.pacs();
    this.tracing = options.tracing();
    this.tracingInstalled = org.ctnet.server.observe.Tracing.install(tracing);
    org.ctnet.server.security.TlsSettings tls = options.tls();
    // ImageIO buffers streams in temp files by default: in memory instead, so images decode and encode
    // on a read-only filesystem (the container image) and no request writes to disk.
    javax.imageio.ImageIO.setUseCache(false);
    Metrics metrics = new Metrics();
    this.repository = new ModelRepository(settings, metrics, SESSION_OPTIONS);
    // One decode budget and one way to await the schedulers for every protocol.
    InferenceLayer inference = InferenceLayer.of(repository, settings);
    this.http = new HttpApi(repository, settings, pacs, options.rates(), metrics, inference);
    // One TLS material (re-read on rotation) for both ports.
    this.tls = tls.enabled() ? new org.ctnet.server.security.TlsMaterial(tls) : null;
    this.grpc = settings.grpcPort() >= 0
        ? new GrpcServer(repository, settings, metrics, inference, this.tls, options.rates()) : null;
    this.settings = settings;
    this.pacs = pacs;
  }

  /** The routes, for tests that start their own server. */
  public void routing(HttpRouting.Builder routing) {
    http.register(routing);
  }

  public ModelRepository repository() {
    return repository;
  }

  /** The bound gRPC port, or -1 when gRPC is off. */
  public int grpcPort() {
    return grpc == null ? -1 : grpc.port();
  }

  public WebServer start() {
    // Our own shutdown hook drains first (close()); Helidon's would stop the listener at once.
    WebServerConfig.Builder builder = WebServer.builder().host(settings.host()).port(settings.port())
        .shutdownHook(false);
    HttpApi.configure(builder, settings, pacs);
    if (tls != null) {
      builder.tls(HttpApi.tls(tls));
    }
    server = builder.routing(this::routing).build().start();
    if (grpc != null) {
      grpc.start();
    }
    return server;
  }

  /** Listener limits, also applied by tests that start their own server (see {@link HttpApi#configure}). */
  public static void configure(WebServerConfig.Builder server, ServerSettings settings) {
    HttpApi.configure(server, settings, org.ctnet.server.config.PacsSettings.defaults());
  }

  /**
   * Graceful shutdown, in the order a load balancer needs: readiness turns 503 while every other
   * route keeps answering for the drain delay (endpoints take seconds to stop routing here), then
   * the requests in flight finish (at most body timeout + request timeout, the longest any can
   * take), then the listener stops and the models close.
   */
  @Override
  public void close() {
    http.drain();
    if (grpc != null) {
      grpc.drain();
    }
    try {
      if (server != null && settings.drainDelayMillis() > 0) {
        Thread.sleep(settings.drainDelayMillis());
      }
      if (!http.awaitIdle(settings.bodyTimeoutMillis() + settings.requestTimeoutMillis())) {
        java.util.logging.Logger.getLogger(ServerApp.class.getName())
            .warning("shutdown: requests still in flight after the longest a request may take; stopping anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (grpc != null) {
      grpc.stop(settings.requestTimeoutMillis());
    }
    if (server != null) {
      server.stop();
    }
    http.close();
    repository.close();
    tracing.close();
    try {
      tracingInstalled.close();
    } catch (Exception e) {
      // restoring the previous tracing cannot fail
    }
  }
}

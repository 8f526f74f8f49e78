package org.ctnet.server.grpc;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.inference.InferenceLayer;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.repository.ModelRepository;

/**
 * The gRPC face of the server, on its own port (grpc-java over Netty): TF Serving's
 * PredictionService and ModelService, KServe's GRPCInferenceService. Same repository, schedulers,
 * limits (message size = the REST body limit, instances per request), bearer token and metrics as
 * REST. grpc-java rather than Helidon's gRPC server: it is what TF Serving and KServe clients are
 * tested against, and its ServerServiceDefinition binds methods without generated stubs.
 */
public final class GrpcServer implements AutoCloseable {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  /** Probes carry no token, as on REST. */
  private static final Set<String> OPEN = Set.of(KServeGrpc.SERVER_LIVE.getFullMethodName(),
      KServeGrpc.SERVER_READY.getFullMethodName(), io.grpc.health.v1.HealthGrpc.getCheckMethod().getFullMethodName());

  private final Server server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private volatile boolean draining;

  /** {@code inference} is REST's too: one decode budget and one set of checks for both protocols. */
  public GrpcServer(ModelRepository repository, ServerSettings settings, Metrics metrics, InferenceLayer inference) {
    this(repository, settings, metrics, inference, null, org.ctnet.server.security.ClientRates.OFF);
  }

  /** With TLS from {@code tls} (null: plaintext), the same material and rotation as the REST port. */
  public GrpcServer(ModelRepository repository, ServerSettings settings, Metrics metrics, InferenceLayer inference,
      org.ctnet.server.security.TlsMaterial tls, org.ctnet.server.security.ClientRates rates) {
    List<ServerServiceDefinition> services = new ArrayList<>(
        new TfServingService(repository, inference.tfServing()).definitions(metrics));
    services.add(new KServeService(repository, inference.kserve(), () -> draining).definition(metrics));
    services.add(health(repository, metrics));
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.grpcPort()))
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, settings.maxBodyBytes()))
        .executor(executor);
    if (tls != null) {
      builder.sslContext(sslContext(tls));
    }
    ServerInterceptor auth = authorization(settings.bearerToken(), rates);
    services.forEach(s -> builder.addService(ServerInterceptors.intercept(s, auth)));
    this.server = builder.build();
  }

  /**
   * Netty's TLS over the shared key and trust managers (the JDK provider, so each handshake asks them:
   * a rotated certificate reaches new connections), TLS 1.2+ and the same suites as REST.
   */
  private static io.grpc.netty.shaded.io.netty.handler.ssl.SslContext sslContext(
      org.ctnet.server.security.TlsMaterial tls) {
    var builder = io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.configure(
        io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder.forServer(tls.keyManager()),
        io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider.JDK)
        .protocols(org.ctnet.server.security.TlsMaterial.PROTOCOLS)
        .ciphers(java.util.List.of(org.ctnet.server.security.TlsMaterial.CIPHER_SUITES));
    if (tls.settings().mutual()) {
      builder.trustManager(tls.clientTrustManager())
          .clientAuth(io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth.REQUIRE);
    }
    try {
      return builder.build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalArgumentException("cannot set up gRPC TLS: " + e.getMessage(), e);
    }
  }

  /** Starts listening; returns the bound port (useful with port 0). */
  public int start() {
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start gRPC: " + e.getMessage(), e);
    }
    return server.getPort();
  }

  public int port() {
    return server.getPort();
  }

  /** Shutdown has begun: ServerReady answers false from now on, every other method keeps answering. */
  public void drain() {
    draining = true;
  }

  /** Stops taking calls, lets the ones in flight finish (at most {@code millis}), then closes. */
  public void stop(long millis) {
    server.shutdown();
    try {
      if (!server.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    executor.shutdown();
  }

  @Override
  public void close() {
    stop(0);
  }

  /**
   * gRPC's standard health check (grpc.health.v1.Health/Check, what Kubernetes gRPC probes call):
   * SERVING while a model is loaded and the server is not draining, for the server ("") and for each
   * service it serves; NOT_FOUND for other service names.
   */
  private ServerServiceDefinition health(ModelRepository repository, Metrics metrics) {
    Set<String> known = Set.of("", TfServingGrpc.PREDICTION_SERVICE, TfServingGrpc.MODEL_SERVICE, KServeGrpc.SERVICE);
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(io.grpc.health.v1.HealthGrpc.SERVICE_NAME);
    Unary.bind(b, io.grpc.health.v1.HealthGrpc.getCheckMethod(), r -> "", r -> {
      if (!known.contains(r.getService())) {
        throw org.ctnet.server.problem.ServingException.notFound("unknown service '" + r.getService() + "'");
      }
      return io.grpc.health.v1.HealthCheckResponse.newBuilder().setStatus(repository.ready() && !draining
          ? io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING
          : io.grpc.health.v1.HealthCheckResponse.ServingStatus.NOT_SERVING).build();
    }, metrics, repository);
    return b.build();
  }

  private static ServerInterceptor authorization(String token, org.ctnet.server.security.ClientRates rates) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        boolean open = OPEN.contains(call.getMethodDescriptor().getFullMethodName());
        io.grpc.Context context = io.grpc.Context.current();
        if (!open && rates.enabled()) {
          String header = headers.get(AUTHORIZATION);
          String given = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : null;
          javax.net.ssl.SSLSession tls = call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_SSL_SESSION);
          String certificate = null;
          try {
            certificate = tls == null ? null : tls.getPeerPrincipal().getName();
          } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            // no client certificate
          }
          java.net.SocketAddress remote = call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
          String address = remote instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : String.valueOf(remote);
          String client = org.ctnet.server.security.ClientRates.clientOf(given, certificate, address);
          if (rates.limitsImages()) {
            context = context.withValue(Unary.IMAGE_CHARGE, images -> rates.takeImages(client, images));
          }
          try {
            rates.take(client);
          } catch (org.ctnet.server.problem.ServingException e) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()), new Metadata());
            return new ServerCall.Listener<>() { };
          }
        }
        if (token != null && !open) {
          String header = headers.get(AUTHORIZATION);
          byte[] given = header != null && header.startsWith("Bearer ")
              ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
          if (!MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8))) {
            call.close(Status.UNAUTHENTICATED.withDescription("missing or wrong bearer token"), new Metadata());
            return new ServerCall.Listener<>() { };
          }
        }
        // The caller's trace context (W3C traceparent metadata) rides to the handler in the gRPC context.
        org.ctnet.server.observe.Tracing tracing = org.ctnet.server.observe.Tracing.current();
        if (tracing.enabled()) {
          io.opentelemetry.context.Context trace = tracing.extract(headers,
              name -> headers.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER)));
          context = context.withValue(Unary.TRACE, trace);
        }
        return context == io.grpc.Context.current() ? next.startCall(call, headers)
            : io.grpc.Contexts.interceptCall(context, call, headers, next);
      }
    };
  }
}

package org.ctnet.server.grpc;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.RequestScope;

/**
 * Unary gRPC methods: their descriptors (what generated stubs hold; clients use the same ones) and
 * their binding to handlers with the server's error mapping, request metrics and access log.
 */
public final class Unary {
  private static final Logger ACCESS = Logger.getLogger("ctnet.access");

  private static final RateLimitedLog MALFORMED_LINES = new RateLimitedLog(ACCESS, 10);
  /** The caller's trace context, put in the gRPC context by the server's interceptor. */
  static final io.grpc.Context.Key<io.opentelemetry.context.Context> TRACE = io.grpc.Context.key("ctnet-trace");
  /** The caller's image bucket (per-client image rate), set by the authorization interceptor. */
  static final io.grpc.Context.Key<java.util.function.IntConsumer> IMAGE_CHARGE = io.grpc.Context.key("ctnet-images");

  private Unary() {}

  /**
   * At most {@code perSecond} lines a second; the lines dropped are counted and said in the next line
   * that gets through.
   */
  static final class RateLimitedLog {
    private final Logger log;
    private final int perSecond;
    private long second;
    private int written;
    private long dropped;

    RateLimitedLog(Logger log, int perSecond) {
      this.log = log;
      this.perSecond = perSecond;
    }

    synchronized void log(String line) {
      long now = System.nanoTime() / 1_000_000_000L;
      if (now != second) {
        second = now;
        written = 0;
      }
      if (written >= perSecond) {
        dropped++;
        return;
      }
      written++;
      log.info(dropped == 0 ? line : line + " (" + dropped + " more malformed messages not logged)");
      dropped = 0;
    }
  }

  /** The descriptor of {@code service/method} taking {@code request} and answering {@code response}. */
  public static <Q extends Message, R extends Message> MethodDescriptor<Q, R> method(String service, String method,
      Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }

  /** A handler that answers or throws (a ServingException says what went wrong). */
  @FunctionalInterface
  interface Handler<Q, R> {
    R handle(Q request);
  }

  /**
   * A request as the server receives it: the message, or why its bytes are not one. grpc-java answers
   * an exception thrown while parsing with UNKNOWN and a logged stack trace; parsed here, a malformed
   * message becomes an INVALID_ARGUMENT like any other bad request.
   */
  record Parsed<Q>(Q message, String malformed) {}

  /** The request marshaller that never throws: failures become a {@link Parsed} with the reason. */
  static final class TolerantMarshaller<Q> implements MethodDescriptor.Marshaller<Parsed<Q>> {
    private final MethodDescriptor.Marshaller<Q> inner;

    TolerantMarshaller(MethodDescriptor.Marshaller<Q> inner) {
      this.inner = inner;
    }

    @Override
    public java.io.InputStream stream(Parsed<Q> value) {
      return inner.stream(value.message());
    }

    @Override
    public Parsed<Q> parse(java.io.InputStream stream) {
      try {
        return new Parsed<>(inner.parse(stream), null);
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String reason = String.valueOf(cause.getMessage());
        return new Parsed<>(null, "malformed request message: "
            + (reason.length() > 160 ? reason.substring(0, 160) + "…" : reason));
      }
    }
  }

  /** Binds one method; {@code modelOf} names the model a request is for (for the metrics), or "". */
  static <Q extends Message, R extends Message> void bind(ServerServiceDefinition.Builder service,
      MethodDescriptor<Q, R> method, Function<Q, String> modelOf, Handler<Q, R> handler, Metrics metrics,
      ModelRepository repository) {
    String endpoint = "grpc_" + method.getBareMethodName();
    MethodDescriptor<Parsed<Q>, R> received = method.toBuilder(new TolerantMarshaller<>(method.getRequestMarshaller()),
        method.getResponseMarshaller()).build();
    service.addMethod(received, ServerCalls.asyncUnaryCall((parsed, responses) -> {
      long start = System.nanoTime();
      RequestScope.begin();
      if (IMAGE_CHARGE.get() != null) {
        RequestScope.chargeImagesTo(IMAGE_CHARGE.get());
      }
      Status.Code code = Status.Code.OK;
      Q request = parsed.message();
      io.opentelemetry.context.Context parent = TRACE.get() == null ? io.opentelemetry.context.Context.root() : TRACE.get();
      io.opentelemetry.api.trace.Span span = org.ctnet.server.observe.Tracing.current().server(
          method.getFullMethodName(), parent);
      io.opentelemetry.context.Scope traceScope = span.makeCurrent();
      io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
      if (deadline != null) {
        RequestScope.deadlineIn(deadline.timeRemaining(java.util.concurrent.TimeUnit.MILLISECONDS));
      }
      try {
        if (parsed.malformed() != null) {
          throw org.ctnet.server.problem.ServingException.badRequest(parsed.malformed());
        }
        responses.onNext(handler.handle(request));
        responses.onCompleted();
      } catch (RuntimeException e) {
        var status = GrpcErrors.of(e);
        code = status.getStatus().getCode();
        if (code == Status.Code.INTERNAL) {
          Logger.getLogger(Unary.class.getName()).log(Level.WARNING, "gRPC call failed: " + method.getFullMethodName(), e);
        }
        responses.onError(status);
      } finally {
        double seconds = (System.nanoTime() - start) / 1e9;
        String version = RequestScope.end();
        metrics.request(endpoint, repository.metricLabel(request == null ? "" : modelOf.apply(request)), version,
            code.value(), seconds);
        span.setAttribute("rpc.grpc.status_code", code.value());
        traceScope.close();
        span.end();
        String line = String.format("gRPC %s %s %.1f ms%s", method.getFullMethodName(), code, seconds * 1000,
            version.isEmpty() ? "" : " version " + version);
        if (parsed.malformed() == null) {
          ACCESS.info(line);
        } else {
          MALFORMED_LINES.log(line); // a flood of garbage must not fill the disk with log
        }
      }
    }));
  }
}

package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.ctnet.server.config.ServerOptions;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.observe.Tracing;
import org.junit.jupiter.api.Test;

/**
 * OpenTelemetry over a real OTLP/HTTP receiver started here (spans read from the protobuf wire format):
 * one request with a W3C traceparent gives the server span as the caller's child, and the queue wait,
 * batch run and encoding as the server span's children, all in the caller's trace; gRPC likewise.
 */
class TracingTest {
  /** A span as OTLP carries it (opentelemetry-proto's Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name). */
  record Received(String traceId, String spanId, String parentId, String name) {}

  private static List<UnknownFieldSet> messages(UnknownFieldSet set, int field) throws Exception {
    List<UnknownFieldSet> out = new java.util.ArrayList<>();
    UnknownFieldSet.Field f = set.getField(field);
    if (f != null) {
      for (ByteString b : f.getLengthDelimitedList()) {
        out.add(UnknownFieldSet.parseFrom(b));
      }
    }
    return out;
  }

  private static String bytes(UnknownFieldSet span, int field) {
    UnknownFieldSet.Field f = span.getField(field);
    return f == null || f.getLengthDelimitedList().isEmpty() ? "" : HexFormat.of().formatHex(
        f.getLengthDelimitedList().get(0).toByteArray());
  }

  @Test
  void aTraceparentGivesTheExpectedSpanTreeInTheCallersTrace() throws Exception {
    List<Received> spans = new CopyOnWriteArrayList<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/v1/traces", exchange -> {
      try {
        UnknownFieldSet request = UnknownFieldSet.parseFrom(exchange.getRequestBody().readAllBytes());
        for (UnknownFieldSet resourceSpans : messages(request, 1)) {
          for (UnknownFieldSet scopeSpans : messages(resourceSpans, 2)) {
            for (UnknownFieldSet span : messages(scopeSpans, 2)) {
              spans.add(new Received(bytes(span, 1), bytes(span, 2), bytes(span, 4),
                  span.getField(5).getLengthDelimitedList().get(0).toStringUtf8()));
            }
          }
        }
        exchange.sendResponseHeaders(200, -1);
      } catch (Exception e) {
        exchange.sendResponseHeaders(400, -1);
      } finally {
        exchange.close();
      }
    });
    receiver.start();
    var base = TestServers.exportTiny(Files.createTempDirectory("ctnet-trace"), "tiny", 1, 4);
    Tracing tracing = Tracing.otlp("http://127.0.0.1:" + receiver.getAddress().getPort() + "/v1/traces");
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withGrpcPort(0);
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    String callerSpan = "00f067aa0ba902b7";
    try (ServerApp app = new ServerApp(settings, ServerOptions.defaults().withTracing(tracing))) {
      URI uri = URI.create("http://127.0.0.1:" + app.start().port() + "/");
      StringBuilder rows = new StringBuilder("{\"instances\": [[");
      for (int y = 0; y < 32; y++) {
        rows.append(y == 0 ? "" : ",").append("[");
        for (int x = 0; x < 32; x++) {
          rows.append(x == 0 ? "" : ",").append("[0.5]");
        }
        rows.append("]");
      }
      rows.append("]]}");
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve("/v1/models/tiny:predict"))
          .header("traceparent", "00-" + traceId + "-" + callerSpan + "-01")
          .POST(HttpRequest.BodyPublishers.ofString(rows.toString())).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (spans.stream().noneMatch(s -> s.parentId().equals(callerSpan)) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Received server = spans.stream().filter(s -> s.parentId().equals(callerSpan)).findFirst()
          .orElseThrow(() -> new AssertionError("no span is the caller's child: " + spans));
      assertEquals(traceId, server.traceId(), "the caller's trace id");
      assertTrue(server.name().startsWith("POST "), server.name());
      while (spans.stream().filter(s -> s.parentId().equals(server.spanId())).count() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      List<String> children = spans.stream().filter(s -> s.parentId().equals(server.spanId())).map(Received::name)
          .sorted().toList();
      assertTrue(children.contains("queue wait") && children.contains("encode")
          && children.stream().anyMatch(n -> n.startsWith("batch run")), children + " in " + spans);
      assertTrue(spans.stream().filter(s -> s.parentId().equals(server.spanId()))
          .allMatch(s -> s.traceId().equals(traceId)), spans.toString());

      // gRPC: the traceparent metadata makes the call's span the caller's child too.
      String grpcCaller = "b7ad6b7169203331";
      var channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort())
          .usePlaintext().build();
      io.grpc.Metadata headers = new io.grpc.Metadata();
      headers.put(io.grpc.Metadata.Key.of("traceparent", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
          "00-" + traceId + "-" + grpcCaller + "-01");
      io.grpc.stub.ClientCalls.blockingUnaryCall(io.grpc.ClientInterceptors.intercept(channel,
          io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers)), org.ctnet.server.grpc.KServeGrpc.MODEL_READY,
          io.grpc.CallOptions.DEFAULT, org.ctnet.server.grpc.proto.kserve.ModelReadyRequest.newBuilder().setName("tiny")
              .build());
      channel.shutdownNow();
      while (spans.stream().noneMatch(s -> s.parentId().equals(grpcCaller)) && System.nanoTime() < deadline + 5_000_000_000L) {
        Thread.sleep(50);
      }
      Received grpc = spans.stream().filter(s -> s.parentId().equals(grpcCaller)).findFirst()
          .orElseThrow(() -> new AssertionError("no gRPC span is the caller's child: " + spans));
      assertEquals(traceId, grpc.traceId());
      assertTrue(grpc.name().endsWith("ModelReady"), grpc.name());
    } finally {
      receiver.stop(0);
    }
  }
}

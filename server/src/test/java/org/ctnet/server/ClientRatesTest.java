package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ctnet.server.config.ServerOptions;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.security.ClientRates;
import org.junit.jupiter.api.Test;

/**
 * Per-client rates over real HTTP and gRPC: a greedy client flooding the server gets 429 with
 * Retry-After (gRPC RESOURCE_EXHAUSTED) while a polite client beside it gets every answer; health routes
 * are never limited.
 */
class ClientRatesTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private int get(URI base, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 429) {
      assertEquals("1", r.headers().firstValue("Retry-After").orElse(""), "429 says when to retry");
    }
    return r.statusCode();
  }

  @Test
  void aGreedyClientIsHeldToItsRateWhileAPoliteOneIsServed() throws Exception {
    var base = TestServers.exportTiny(Files.createTempDirectory("ctnet-rates"), "tiny", 1, 4);
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withGrpcPort(0);
    try (ServerApp app = new ServerApp(settings, ServerOptions.defaults().withRates(new ClientRates(10, 10)))) {
      URI uri = URI.create("http://127.0.0.1:" + app.start().port() + "/");
      AtomicBoolean stop = new AtomicBoolean();
      Map<Integer, Integer> greedy = new ConcurrentHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(6);
      List<Future<?>> flood = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        flood.add(pool.submit(() -> {
          while (!stop.get()) {
            greedy.merge(get(uri, "/v1/models/tiny", "greedy"), 1, Integer::sum);
          }
          return null;
        }));
      }
      List<Integer> polite = new ArrayList<>();
      for (int i = 0; i < 15; i++) {
        polite.add(get(uri, "/v1/models/tiny", "polite"));
        Thread.sleep(150); // ~6.7/s, under the rate of 10
      }
      int health = get(uri, "/health/live", "greedy");
      stop.set(true);
      for (Future<?> f : flood) {
        f.get();
      }
      pool.shutdown();
      assertTrue(polite.stream().allMatch(c -> c == 200), "the polite client is always served: " + polite);
      assertTrue(greedy.getOrDefault(429, 0) > greedy.getOrDefault(200, 0), "the flood is mostly refused: " + greedy);
      assertTrue(greedy.getOrDefault(200, 0) > 0 && greedy.getOrDefault(200, 0) <= 10 + 10 * 3.5,
          "the greedy client gets its burst and rate, no more, over ~2.3 s: " + greedy);
      assertEquals(200, health, "health is not limited");
      // gRPC: the same client (its token) is refused with RESOURCE_EXHAUSTED once over its rate.
      var channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort())
          .usePlaintext().build();
      io.grpc.Metadata headers = new io.grpc.Metadata();
      headers.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer grpc-greedy");
      var authed = io.grpc.ClientInterceptors.intercept(channel, io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers));
      int exhausted = 0;
      for (int i = 0; i < 40; i++) {
        try {
          io.grpc.stub.ClientCalls.blockingUnaryCall(authed, org.ctnet.server.grpc.KServeGrpc.MODEL_READY,
              io.grpc.CallOptions.DEFAULT, org.ctnet.server.grpc.proto.kserve.ModelReadyRequest.newBuilder()
                  .setName("tiny").build());
        } catch (io.grpc.StatusRuntimeException e) {
          assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getMessage());
          exhausted++;
        }
      }
      assertTrue(exhausted >= 20, exhausted + " of 40 back-to-back gRPC calls refused");
      channel.shutdownNow();
    }
  }

  private int predict(URI base, String token, int images) throws Exception {
    StringBuilder body = new StringBuilder("{\"instances\":[");
    for (int i = 0; i < images; i++) {
      body.append(i > 0 ? "," : "").append(org.ctnet.server.inference.Json.MAPPER.writeValueAsString(
          new float[32][32][1]));
    }
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/models/tiny:predict"))
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(body.append("]}").toString())).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 429) {
      assertTrue(r.body().contains("images/s"), r.body());
    }
    return r.statusCode();
  }

  @Test
  void imagesPerSecondHoldAClientThatSendsBigRequestsAndNotItsNeighbour() throws Exception {
    var base = TestServers.exportTiny(Files.createTempDirectory("ctnet-image-rates"), "tiny", 1, 4);
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withGrpcPort(0);
    // Requests unlimited; 20 images/s with a burst of 20.
    try (ServerApp app = new ServerApp(settings, ServerOptions.defaults().withRates(new ClientRates(0, 1, 20, 20)))) {
      URI uri = URI.create("http://127.0.0.1:" + app.start().port() + "/");
      assertEquals(200, predict(uri, "big", 16), "within the burst");
      assertEquals(200, predict(uri, "big", 16), "the bucket still held tokens: the request passes into debt");
      assertEquals(429, predict(uri, "big", 1), "in debt: refused until it is paid");
      assertEquals(200, predict(uri, "neighbour", 16), "another client's bucket is its own");
      assertEquals(200, get(uri, "/v1/models/tiny", "big"), "requests that give the model no image are not charged");
      Thread.sleep(900); // 12 images owed at 20/s: paid after 0.6 s
      assertEquals(200, predict(uri, "big", 4));
      // gRPC: the same bucket per token.
      var channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort())
          .usePlaintext().build();
      io.grpc.Metadata headers = new io.grpc.Metadata();
      headers.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer grpc-big");
      var authed = io.grpc.ClientInterceptors.intercept(channel, io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers));
      var request = org.ctnet.server.grpc.proto.kserve.ModelInferRequest.newBuilder().setModelName("tiny")
          .addInputs(org.ctnet.server.grpc.proto.kserve.ModelInferRequest.InferInputTensor.newBuilder().setName("images")
              .setDatatype("FP32").addAllShape(List.of(16L, 32L, 32L, 1L))
              .setContents(org.ctnet.server.grpc.proto.kserve.InferTensorContents.newBuilder()
                  .addAllFp32Contents(java.util.Collections.nCopies(16 * 32 * 32, 0f))))
          .build();
      List<io.grpc.Status.Code> codes = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        try {
          io.grpc.stub.ClientCalls.blockingUnaryCall(authed, org.ctnet.server.grpc.KServeGrpc.MODEL_INFER,
              io.grpc.CallOptions.DEFAULT, request);
          codes.add(io.grpc.Status.Code.OK);
        } catch (io.grpc.StatusRuntimeException e) {
          codes.add(e.getStatus().getCode());
          assertTrue(e.getStatus().getDescription().contains("images/s"), e.getStatus().toString());
        }
      }
      assertEquals(List.of(io.grpc.Status.Code.OK, io.grpc.Status.Code.OK, io.grpc.Status.Code.RESOURCE_EXHAUSTED), codes);
      channel.shutdownNow();
    }
  }
}

package org.ctnet.bench.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.TestModels;
import org.ctnet.server.ServerApp;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.grpc.TfServingGrpc;
import org.ctnet.server.grpc.proto.tfs.PredictRequest;
import org.junit.jupiter.api.Test;

/**
 * The gRPC half of the hostile harness (the soak script sends 10,000): 600 mutated messages against
 * every TF Serving and KServe method get client errors, never UNKNOWN/INTERNAL/DATA_LOSS or a timeout,
 * with no stack trace and at most one log record each; valid calls keep working.
 */
class GrpcHostileHarnessTest {
  static final class Records extends Handler {
    final List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void publish(LogRecord r) {
      records.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  @Test
  void mutatedMessagesAreClientErrorsWithOneLogLineEach() throws Exception {
    Path base = Files.createTempDirectory("ctnet-grpc-hostile");
    try (ModelSession m = TestModels.trainedOnBlobs(5, 4)) {
      m.export(base.resolve("tiny"), 1, m.assets());
    }
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withGrpcPort(0).withBearerToken("hostile").withLimits(1_000_000, 10_000, 4, 256);
    Records logs = new Records();
    Logger root = Logger.getLogger("");
    root.addHandler(logs);
    try (ServerApp app = new ServerApp(settings)) {
      app.start();
      ManagedChannel managed = NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort()).usePlaintext().build();
      var channel = GrpcHostileHarness.channel(managed, "hostile");
      GrpcHostileHarness harness = new GrpcHostileHarness(channel, "tiny", 32);
      assertTrue(GrpcHostileHarness.methods().size() >= 10);
      int calls = 600;
      int before = logs.records.size();
      Map<Status.Code, Integer> codes = harness.run(calls, 20261206);
      for (Status.Code bad : GrpcHostileHarness.SERVER_FAULTS) {
        assertEquals(0, codes.getOrDefault(bad, 0), bad + " among " + codes);
      }
      assertTrue(codes.getOrDefault(Status.Code.INVALID_ARGUMENT, 0) > calls / 3, codes.toString());
      List<LogRecord> during = logs.records.subList(before, logs.records.size());
      assertTrue(during.stream().noneMatch(r -> r.getThrown() != null || r.getLevel().intValue() >= Level.SEVERE.intValue()),
          "no stack trace, no SEVERE: " + during.stream().filter(r -> r.getThrown() != null).findFirst()
              .map(r -> r.getLoggerName() + " " + r.getMessage() + " " + r.getThrown()).orElse(""));
      assertTrue(during.size() <= calls, during.size() + " log records for " + calls + " calls");
      var ok = io.grpc.stub.ClientCalls.blockingUnaryCall(channel, TfServingGrpc.PREDICT, io.grpc.CallOptions.DEFAULT,
          PredictRequest.parseFrom(harness.validPredict()));
      assertTrue(ok.containsOutputs(ModelNames.OUT_PROBABILITIES));
      managed.shutdownNow();
    } finally {
      root.removeHandler(logs);
    }
  }
}

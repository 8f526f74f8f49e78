package org.ctnet.server.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.ctnet.graph.ModelNames;
import org.ctnet.server.ServerApp;
import org.ctnet.server.TestServers;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.grpc.proto.kserve.ModelInferRequest;
import org.ctnet.server.grpc.proto.tfs.ModelSpec;
import org.ctnet.server.grpc.proto.tfs.PredictRequest;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Mutated gRPC messages (flipped bytes, truncation, absurd lengths, unknown fields, deep nesting, random
 * bytes) against every TF Serving and KServe method: each gets INVALID_ARGUMENT or another client
 * error, never UNKNOWN/INTERNAL/DATA_LOSS, at most one log line and no stack trace; valid calls keep
 * working.
 */
class GrpcHostileTest {
  private static final String TOKEN = "hostile";
  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };

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

  static byte[] validPredict() {
    ByteBuffer content = ByteBuffer.allocate(32 * 32 * 4).order(ByteOrder.LITTLE_ENDIAN);
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(32)).addDim(TensorShapeProto.Dim.newBuilder().setSize(32))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
        .setTensorContent(com.google.protobuf.ByteString.copyFrom(content.array())).build();
    return PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName("tiny"))
        .putInputs(ModelNames.IN_IMAGES, t.toByteString()).build().toByteArray();
  }

  static byte[] mutate(byte[] seed, Random random) {
    byte[] b = seed.clone();
    switch (random.nextInt(7)) {
      case 0 -> { // flipped bytes
        for (int i = 0; i < 1 + random.nextInt(8) && b.length > 0; i++) {
          b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
        }
      }
      case 1 -> b = java.util.Arrays.copyOf(b, b.length == 0 ? 0 : random.nextInt(b.length)); // truncated
      case 2 -> { // a length-delimited field claiming an absurd length
        byte[] head = {0x0A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
        b = concat(head, b);
      }
      case 3 -> b = concat(b, new byte[] {(byte) 0xF8, (byte) 0xFF, 0x7F, 0x01}); // unknown high field
      case 4 -> { // deep nesting of start-group tags
        byte[] deep = new byte[20_000];
        java.util.Arrays.fill(deep, (byte) 0x0B);
        b = deep;
      }
      case 5 -> { // random bytes
        b = new byte[random.nextInt(512)];
        random.nextBytes(b);
      }
      default -> { // an invalid wire type at a random place
        if (b.length > 0) {
          b[random.nextInt(b.length)] = (byte) 0x0F;
        }
      }
    }
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void mutatedMessagesAreClientErrorsWithOneLogLineEach() throws Exception {
    Path base = TestServers.exportTiny(Files.createTempDirectory("ctnet-grpc-hostile"), "tiny", 1, 4);
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withGrpcPort(0).withBearerToken(TOKEN).withLimits(1_000_000, 10_000, 4, 256);
    Records logs = new Records();
    Logger root = Logger.getLogger("");
    root.addHandler(logs);
    try (ServerApp app = new ServerApp(settings)) {
      app.start();
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort()).usePlaintext().build();
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
      var authed = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
      List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
      for (Class<?> holder : List.of(TfServingGrpc.class, KServeGrpc.class)) {
        for (var field : holder.getFields()) {
          if (field.get(null) instanceof MethodDescriptor<?, ?> m) {
            methods.add(m);
          }
        }
      }
      assertTrue(methods.size() >= 10, methods.toString());
      byte[][] seeds = {validPredict(), ModelInferRequest.newBuilder().setModelName("tiny").build().toByteArray(),
          new byte[0]};
      Random random = new Random(20261206);
      Map<Status.Code, Integer> codes = new EnumMap<>(Status.Code.class);
      int calls = 600;
      int before = logs.records.size();
      for (int i = 0; i < calls; i++) {
        MethodDescriptor<?, ?> m = methods.get(i % methods.size());
        MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(m.getFullMethodName())
            .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
        byte[] message = mutate(seeds[random.nextInt(seeds.length)], random);
        Status.Code code;
        try {
          ClientCalls.blockingUnaryCall(authed, raw, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
              message);
          code = Status.Code.OK;
        } catch (StatusRuntimeException e) {
          code = e.getStatus().getCode();
        }
        codes.merge(code, 1, Integer::sum);
      }
      for (Status.Code bad : List.of(Status.Code.UNKNOWN, Status.Code.INTERNAL, Status.Code.DATA_LOSS,
          Status.Code.DEADLINE_EXCEEDED)) {
        assertEquals(0, codes.getOrDefault(bad, 0), bad + " among " + codes);
      }
      assertTrue(codes.getOrDefault(Status.Code.INVALID_ARGUMENT, 0) > calls / 3, codes.toString());
      List<LogRecord> during = logs.records.subList(before, logs.records.size());
      assertTrue(during.stream().noneMatch(r -> r.getThrown() != null || r.getLevel().intValue() >= Level.SEVERE.intValue()),
          "no stack trace, no SEVERE: " + during.stream().filter(r -> r.getThrown() != null).findFirst()
              .map(r -> r.getLoggerName() + " " + r.getMessage() + " " + r.getThrown()).orElse(""));
      assertTrue(during.size() <= calls, during.size() + " log records for " + calls + " calls");
      // Valid calls still work.
      var ok = ClientCalls.blockingUnaryCall(authed, TfServingGrpc.PREDICT, CallOptions.DEFAULT,
          PredictRequest.parseFrom(validPredict()));
      assertTrue(ok.containsOutputs(ModelNames.OUT_PROBABILITIES));
      channel.shutdownNow();
    } finally {
      root.removeHandler(logs);
    }
  }
}

package org.ctnet.bench.server;

import io.grpc.CallOptions;
import io.grpc.Channel;
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
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.ctnet.graph.ModelNames;
import org.ctnet.server.grpc.KServeGrpc;
import org.ctnet.server.grpc.TfServingGrpc;
import org.ctnet.server.grpc.proto.kserve.ModelInferRequest;
import org.ctnet.server.grpc.proto.tfs.ModelSpec;
import org.ctnet.server.grpc.proto.tfs.PredictRequest;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Mutated gRPC messages against every TF Serving and KServe method of a server (flipped bytes,
 * truncation, absurd lengths, unknown fields, deep nesting, random bytes, bad wire types), sent as raw
 * bytes under each method's name; counts the status codes. The soak script runs it with 10,000
 * mutations; {@code GrpcHostileHarnessTest} with a few hundred.
 *   java -cp benchmarks.jar org.ctnet.bench.server.GrpcHostileHarness host:port model side [mutations] [token]
 */
public final class GrpcHostileHarness {
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

  /** Codes that say the server failed rather than the message: none may appear. */
  public static final List<Status.Code> SERVER_FAULTS = List.of(Status.Code.UNKNOWN, Status.Code.INTERNAL,
      Status.Code.DATA_LOSS, Status.Code.DEADLINE_EXCEEDED);

  private final Channel channel;
  private final String model;
  private final int side;

  public GrpcHostileHarness(Channel channel, String model, int side) {
    this.channel = channel;
    this.model = model;
    this.side = side;
  }

  /** Every unary method of the TF Serving and KServe services the server binds. */
  public static List<MethodDescriptor<?, ?>> methods() {
    List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    for (Class<?> holder : List.of(TfServingGrpc.class, KServeGrpc.class)) {
      for (var field : holder.getFields()) {
        try {
          if (field.get(null) instanceof MethodDescriptor<?, ?> m) {
            methods.add(m);
          }
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return methods;
  }

  /** A valid TF Serving predict request for one blank image. */
  public byte[] validPredict() {
    ByteBuffer content = ByteBuffer.allocate(side * side * 4).order(ByteOrder.LITTLE_ENDIAN);
    TensorProto t = TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(side)).addDim(TensorShapeProto.Dim.newBuilder().setSize(side))
            .addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
        .setTensorContent(com.google.protobuf.ByteString.copyFrom(content.array())).build();
    return PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(model))
        .putInputs(ModelNames.IN_IMAGES, t.toByteString()).build().toByteArray();
  }

  /** One mutation of {@code seed}. */
  public static byte[] mutate(byte[] seed, Random random) {
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

  /** Sends {@code n} mutated messages round-robin over the methods; the count of each status code. */
  public Map<Status.Code, Integer> run(int n, long seed) {
    List<MethodDescriptor<?, ?>> methods = methods();
    byte[][] seeds = {validPredict(), ModelInferRequest.newBuilder().setModelName(model).build().toByteArray(),
        new byte[0]};
    Random random = new Random(seed);
    Map<Status.Code, Integer> codes = new EnumMap<>(Status.Code.class);
    for (int i = 0; i < n; i++) {
      MethodDescriptor<?, ?> m = methods.get(i % methods.size());
      MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(m.getFullMethodName())
          .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
      byte[] message = mutate(seeds[random.nextInt(seeds.length)], random);
      Status.Code code;
      try {
        ClientCalls.blockingUnaryCall(channel, raw, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), message);
        code = Status.Code.OK;
      } catch (StatusRuntimeException e) {
        code = e.getStatus().getCode();
      }
      codes.merge(code, 1, Integer::sum);
    }
    return codes;
  }

  /** A channel to {@code target} carrying the bearer token when one is given. */
  public static Channel channel(ManagedChannel managed, String token) {
    if (token == null || token.isEmpty()) {
      return managed;
    }
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return io.grpc.ClientInterceptors.intercept(managed, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  public static void main(String[] args) {
    String[] hostPort = args[0].split(":");
    int n = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
    ManagedChannel managed = NettyChannelBuilder.forAddress(hostPort[0], Integer.parseInt(hostPort[1])).usePlaintext()
        .build();
    try {
      long start = System.nanoTime();
      Map<Status.Code, Integer> codes = new GrpcHostileHarness(channel(managed, args.length > 4 ? args[4] : null),
          args[1], Integer.parseInt(args[2])).run(n, 20261206);
      int faults = SERVER_FAULTS.stream().mapToInt(c -> codes.getOrDefault(c, 0)).sum();
      System.out.printf("gRPC mutations: %d in %.1f s; codes %s; server faults (UNKNOWN/INTERNAL/DATA_LOSS/timeouts): %d%n",
          n, (System.nanoTime() - start) / 1e9, codes, faults);
      if (faults > 0) {
        System.exit(1);
      }
    } finally {
      managed.shutdownNow();
    }
  }
}

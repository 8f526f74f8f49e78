package org.ctnet.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.grpc.proto.kserve.InferParameter;
import org.ctnet.server.grpc.proto.kserve.InferTensorContents;
import org.ctnet.server.grpc.proto.kserve.ModelInferRequest;
import org.ctnet.server.grpc.proto.kserve.ModelInferResponse;
import org.ctnet.server.grpc.proto.kserve.ModelReadyRequest;
import org.ctnet.server.grpc.proto.tfs.GetModelStatusRequest;
import org.ctnet.server.grpc.proto.tfs.ModelSpec;
import org.ctnet.server.grpc.proto.tfs.PredictRequest;
import org.ctnet.server.grpc.proto.tfs.PredictResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * REST and gRPC are adapters over one inference layer: the same case sent through both gets the same
 * outcome (200 ↔ OK, 400 ↔ INVALID_ARGUMENT, 404 ↔ NOT_FOUND), the same error message word for word,
 * and the same numbers. Each row is one case in both wire formats.
 */
class ProtocolParityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SIDE = 32;
  private static final int MAX_IMAGES = 4;
  private static final SyntheticImages.Batch IMAGES = SyntheticImages.blobs(MAX_IMAGES + 1, SIDE, 5);
  private static ServerApp app;
  private static URI rest;
  private static ManagedChannel channel;

  /** What a client sees: the HTTP status or gRPC code as one outcome, the error text, the probabilities. */
  record Seen(String outcome, String error, float[] probabilities) {}

  /** One case: its REST request (method, path, JSON body or null for GET) and its gRPC call. */
  record Case(String name, String method, String path, String body, java.util.function.Supplier<Seen> grpc,
      String expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    Path base = TestServers.exportTiny(Files.createTempDirectory("ctnet-parity"), "tiny", 1, 4);
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withGrpcPort(0).withLimits(2_000_000, 10_000, MAX_IMAGES, 256);
    app = new ServerApp(settings);
    rest = URI.create("http://127.0.0.1:" + app.start().port());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    app.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theSameCaseGetsTheSameAnswerOverRestAndGrpc(Case c) throws Exception {
    Seen overRest = rest(c);
    Seen overGrpc = c.grpc().get();
    assertEquals(c.expected(), overRest.outcome(), "REST: " + overRest);
    assertEquals(c.expected(), overGrpc.outcome(), "gRPC: " + overGrpc);
    assertEquals(overRest.error(), overGrpc.error(), "the same message on both");
    if (overRest.probabilities() != null || overGrpc.probabilities() != null) {
      assertArrayEquals(overRest.probabilities(), overGrpc.probabilities(), 1e-6f, "the same numbers on both");
    }
  }

  static Stream<Case> cases() {
    String one = instances(1);
    List<Case> cases = new ArrayList<>();
    // TF Serving
    cases.add(new Case("predict", "POST", "/v1/models/tiny:predict", "{\"instances\":" + one + "}",
        () -> predict("", images(1), Map.of()), "ok"));
    cases.add(new Case("explain for the served label (-1)", "POST", "/v1/models/tiny:explain",
        "{\"instances\":" + one + ",\"class_index\":-1}",
        () -> predict(ModelNames.EXPLAIN, images(1), Map.of(ModelNames.IN_CLASS_INDEX, ints(-1))), "ok"));
    cases.add(new Case("explain for class 1", "POST", "/v1/models/tiny:explain",
        "{\"instances\":" + one + ",\"class_index\":1}",
        () -> predict(ModelNames.EXPLAIN, images(1), Map.of(ModelNames.IN_CLASS_INDEX, ints(1))), "ok"));
    for (int bad : new int[] {-2, 2}) {
      cases.add(new Case("explain for class " + bad, "POST", "/v1/models/tiny:explain",
          "{\"instances\":" + one + ",\"class_index\":" + bad + "}",
          () -> predict(ModelNames.EXPLAIN, images(1), Map.of(ModelNames.IN_CLASS_INDEX, ints(bad))), "400"));
    }
    cases.add(new Case("train_step refused", "POST", "/v1/models/tiny:predict",
        "{\"signature_name\":\"train_step\",\"instances\":" + one + "}",
        () -> predict(ModelNames.TRAIN_STEP, images(1), Map.of()), "400"));
    cases.add(new Case("unknown signature", "POST", "/v1/models/tiny:predict",
        "{\"signature_name\":\"nope\",\"instances\":" + one + "}", () -> predict("nope", images(1), Map.of()), "400"));
    cases.add(new Case("too many images", "POST", "/v1/models/tiny:predict",
        "{\"instances\":" + instances(MAX_IMAGES + 1) + "}", () -> predict("", images(MAX_IMAGES + 1), Map.of()), "400"));
    cases.add(new Case("unknown model", "POST", "/v1/models/nope:predict", "{\"instances\":" + one + "}",
        () -> grpc(org.ctnet.server.grpc.TfServingGrpc.PREDICT, PredictRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName("nope")).putInputs(ModelNames.IN_IMAGES,
                images(1).toByteString()).build(), r -> null), "404"));
    cases.add(new Case("unknown version", "GET", "/v1/models/tiny/versions/9", null,
        () -> grpc(org.ctnet.server.grpc.TfServingGrpc.GET_MODEL_STATUS, GetModelStatusRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName("tiny").setVersion(Int64Value.of(9))).build(), r -> null), "404"));
    cases.add(new Case("unknown label", "GET", "/v1/models/tiny/labels/stable", null,
        () -> grpc(org.ctnet.server.grpc.TfServingGrpc.GET_MODEL_STATUS, GetModelStatusRequest.newBuilder()
            .setModelSpec(ModelSpec.newBuilder().setName("tiny").setVersionLabel("stable")).build(), r -> null), "404"));
    // KServe v2
    String fp32 = "{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[1," + SIDE + "," + SIDE + ",1],\"data\":"
        + flatData(1) + "}";
    cases.add(new Case("v2 infer", "POST", "/v2/models/tiny/infer", "{\"inputs\":[" + fp32 + "]}",
        () -> infer(v2("images", "FP32", 1), Map.of(), List.of()), "ok"));
    cases.add(new Case("v2 infer, explained for -1", "POST", "/v2/models/tiny/infer",
        "{\"inputs\":[" + fp32 + "],\"parameters\":{\"class_index\":-1},\"outputs\":[{\"name\":\"probabilities\"},"
            + "{\"name\":\"target_class\"}]}",
        () -> infer(v2("images", "FP32", 1), Map.of("class_index", int64(-1)), List.of("probabilities", "target_class")),
        "ok"));
    cases.add(new Case("v2 class_index 5", "POST", "/v2/models/tiny/infer",
        "{\"inputs\":[" + fp32 + "],\"parameters\":{\"class_index\":5},\"outputs\":[{\"name\":\"target_class\"}]}",
        () -> infer(v2("images", "FP32", 1), Map.of("class_index", int64(5)), List.of("target_class")), "400"));
    cases.add(new Case("v2 class_index not an integer", "POST", "/v2/models/tiny/infer",
        "{\"inputs\":[" + fp32 + "],\"parameters\":{\"class_index\":\"one\"},\"outputs\":[{\"name\":\"target_class\"}]}",
        () -> infer(v2("images", "FP32", 1), Map.of("class_index", InferParameter.newBuilder().setStringParam("one").build()),
            List.of("target_class")), "400"));
    cases.add(new Case("v2 input named otherwise", "POST", "/v2/models/tiny/infer",
        "{\"inputs\":[" + fp32.replace("\"images\"", "\"pixels\"") + "]}",
        () -> infer(v2("pixels", "FP32", 1), Map.of(), List.of()), "400"));
    cases.add(new Case("v2 datatype INT8", "POST", "/v2/models/tiny/infer",
        "{\"inputs\":[" + fp32.replace("FP32", "INT8") + "]}", () -> infer(v2("images", "INT8", 1), Map.of(), List.of()),
        "400"));
    cases.add(new Case("v2 two inputs", "POST", "/v2/models/tiny/infer", "{\"inputs\":[" + fp32 + "," + fp32 + "]}",
        () -> infer(v2("images", "FP32", 1), Map.of(), List.of(), 2), "400"));
    cases.add(new Case("v2 unknown output", "POST", "/v2/models/tiny/infer",
        "{\"inputs\":[" + fp32 + "],\"outputs\":[{\"name\":\"nope\"}]}",
        () -> infer(v2("images", "FP32", 1), Map.of(), List.of("nope")), "400"));
    cases.add(new Case("v2 too many images", "POST", "/v2/models/tiny/infer",
        "{\"inputs\":[{\"name\":\"images\",\"datatype\":\"FP32\",\"shape\":[" + (MAX_IMAGES + 1) + "," + SIDE + "," + SIDE
            + ",1],\"data\":" + flatData(MAX_IMAGES + 1) + "}]}",
        () -> infer(v2("images", "FP32", MAX_IMAGES + 1), Map.of(), List.of()), "400"));
    cases.add(new Case("v2 version not a number", "GET", "/v2/models/tiny/versions/abc/ready", null,
        () -> grpc(org.ctnet.server.grpc.KServeGrpc.MODEL_READY,
            ModelReadyRequest.newBuilder().setName("tiny").setVersion("abc").build(), r -> null), "400"));
    return cases.stream();
  }

  private static Seen rest(Case c) throws Exception {
    HttpResponse<String> r = c.body() == null ? TestServers.get(rest, c.path()) : TestServers.post(rest, c.path(), c.body());
    JsonNode body = JSON.readTree(r.body());
    if (r.statusCode() != 200) {
      return new Seen(Integer.toString(r.statusCode()), body.path("error").asText(), null);
    }
    JsonNode probabilities = body.has("predictions") ? body.get("predictions").get(0).get(ModelNames.OUT_PROBABILITIES)
        : body.has("outputs") ? outputData(body, ModelNames.OUT_PROBABILITIES) : null;
    return new Seen("ok", "", probabilities == null ? null : floats(probabilities));
  }

  private static JsonNode outputData(JsonNode v2, String name) {
    for (JsonNode o : v2.get("outputs")) {
      if (o.get("name").asText().equals(name)) {
        return o.get("data");
      }
    }
    return null;
  }

  private static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).floatValue();
    }
    return out;
  }

  private static <Q, R> Seen grpc(MethodDescriptor<Q, R> method, Q request, Function<R, float[]> probabilities) {
    try {
      R response = ClientCalls.blockingUnaryCall(channel, method, io.grpc.CallOptions.DEFAULT, request);
      return new Seen("ok", "", probabilities.apply(response));
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      String outcome = switch (code) {
        case INVALID_ARGUMENT -> "400";
        case NOT_FOUND -> "404";
        default -> code.name();
      };
      return new Seen(outcome, e.getStatus().getDescription(), null);
    }
  }

  private static Seen predict(String signature, TensorProto images, Map<String, TensorProto> more) {
    PredictRequest.Builder request = PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName("tiny").setSignatureName(signature))
        .putInputs(ModelNames.IN_IMAGES, images.toByteString());
    more.forEach((name, tensor) -> request.putInputs(name, tensor.toByteString()));
    return grpc(org.ctnet.server.grpc.TfServingGrpc.PREDICT, request.build(), ProtocolParityTest::firstRow);
  }

  private static float[] firstRow(PredictResponse r) {
    try {
      TensorProto t = TensorProto.parseFrom(r.getOutputsOrThrow(ModelNames.OUT_PROBABILITIES));
      float[] all = new float[t.getTensorContent().size() / 4];
      t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(all);
      if (all.length == 0) {
        all = new float[t.getFloatValCount()];
        for (int i = 0; i < all.length; i++) {
          all[i] = t.getFloatVal(i);
        }
      }
      int classes = (int) t.getTensorShape().getDim(1).getSize();
      return java.util.Arrays.copyOf(all, classes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static Seen infer(ModelInferRequest.InferInputTensor input, Map<String, InferParameter> parameters,
      List<String> outputs) {
    return infer(input, parameters, outputs, 1);
  }

  private static Seen infer(ModelInferRequest.InferInputTensor input, Map<String, InferParameter> parameters,
      List<String> outputs, int copies) {
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName("tiny").putAllParameters(parameters);
    for (int i = 0; i < copies; i++) {
      request.addInputs(input);
    }
    outputs.forEach(o -> request.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(o)));
    return grpc(org.ctnet.server.grpc.KServeGrpc.MODEL_INFER, request.build(), ProtocolParityTest::probabilities);
  }

  private static float[] probabilities(ModelInferResponse r) {
    for (ModelInferResponse.InferOutputTensor t : r.getOutputsList()) {
      if (t.getName().equals(ModelNames.OUT_PROBABILITIES)) {
        float[] out = new float[t.getContents().getFp32ContentsCount()];
        for (int i = 0; i < out.length; i++) {
          out[i] = t.getContents().getFp32Contents(i);
        }
        return out;
      }
    }
    return null;
  }

  private static ModelInferRequest.InferInputTensor v2(String name, String datatype, int n) {
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (int i = 0; i < n * SIDE * SIDE; i++) {
      contents.addFp32Contents(IMAGES.pixels()[i]);
    }
    return ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype(datatype)
        .addAllShape(List.of((long) n, (long) SIDE, (long) SIDE, 1L)).setContents(contents).build();
  }

  private static InferParameter int64(long v) {
    return InferParameter.newBuilder().setInt64Param(v).build();
  }

  private static TensorProto images(int n) {
    ByteBuffer content = ByteBuffer.allocate(n * SIDE * SIDE * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n * SIDE * SIDE; i++) {
      content.putFloat(IMAGES.pixels()[i]);
    }
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long d : new long[] {n, SIDE, SIDE, 1}) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape)
        .setTensorContent(ByteString.copyFrom(content.array())).build();
  }

  private static TensorProto ints(int v) {
    return TensorProto.newBuilder().setDtype(DataType.DT_INT32).addIntVal(v)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1))).build();
  }

  /** n images as TF Serving rows: [[[v], ...], ...] per image. */
  private static String instances(int n) {
    StringBuilder s = new StringBuilder("[");
    for (int k = 0; k < n; k++) {
      s.append(k == 0 ? "[" : ",[");
      for (int y = 0; y < SIDE; y++) {
        s.append(y == 0 ? "[" : ",[");
        for (int x = 0; x < SIDE; x++) {
          s.append(x == 0 ? "" : ",").append('[').append(IMAGES.pixels()[(k * SIDE + y) * SIDE + x]).append(']');
        }
        s.append(']');
      }
      s.append(']');
    }
    return s.append(']').toString();
  }

  private static String flatData(int n) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < n * SIDE * SIDE; i++) {
      s.append(i == 0 ? "" : ",").append(IMAGES.pixels()[i]);
    }
    return s.append(']').toString();
  }
}

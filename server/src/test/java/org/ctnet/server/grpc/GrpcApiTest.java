package org.ctnet.server.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.server.ServerApp;
import org.ctnet.server.TestServers;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.grpc.proto.kserve.InferParameter;
import org.ctnet.server.grpc.proto.kserve.ModelInferRequest;
import org.ctnet.server.grpc.proto.kserve.ModelInferResponse;
import org.ctnet.server.grpc.proto.kserve.ModelMetadataRequest;
import org.ctnet.server.grpc.proto.kserve.ModelReadyRequest;
import org.ctnet.server.grpc.proto.kserve.ServerLiveRequest;
import org.ctnet.server.grpc.proto.kserve.ServerReadyRequest;
import org.ctnet.server.grpc.proto.tfs.ClassificationRequest;
import org.ctnet.server.grpc.proto.tfs.GetModelMetadataRequest;
import org.ctnet.server.grpc.proto.tfs.GetModelStatusRequest;
import org.ctnet.server.grpc.proto.tfs.ModelSpec;
import org.ctnet.server.grpc.proto.tfs.ModelVersionStatus;
import org.ctnet.server.grpc.proto.tfs.PredictRequest;
import org.ctnet.server.grpc.proto.tfs.PredictResponse;
import org.ctnet.server.grpc.proto.tfs.SignatureDefMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * TF Serving's and KServe's gRPC APIs over a real socket, called the way their clients call them
 * (method names, serialized TensorProto), answers checked against the model run in-process.
 */
class GrpcApiTest {
  private static final String TOKEN = "grpc-secret";
  private static final SyntheticImages.Batch IMAGES = SyntheticImages.blobs(3, 32, 21);
  private static ServerApp app;
  private static ManagedChannel channel;
  private static LoadedModel inProcess;

  @BeforeAll
  static void start() throws Exception {
    Path base = TestServers.exportTiny(Files.createTempDirectory("ctnet-grpc"), "tiny", 1, 4);
    ServerSettings settings = ServerSettings.defaults(base).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withGrpcPort(0).withBearerToken(TOKEN).withLimits(1_000_000, 10_000, 4, 256);
    app = new ServerApp(settings);
    app.start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", app.grpcPort()).usePlaintext().build();
    inProcess = LoadedModel.load(base.resolve("tiny/1"), SessionOptions.DEFAULT);
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    app.close();
    inProcess.close();
  }

  private static <Q, R> R call(MethodDescriptor<Q, R> method, Q request) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TOKEN);
    return ClientCalls.blockingUnaryCall(
        io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
        method, CallOptions.DEFAULT, request);
  }

  private static Status.Code failure(MethodDescriptor<?, ?> method, Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run, method.getFullMethodName()).getStatus().getCode();
  }

  /** What tf.make_tensor_proto writes for a float array: dtype, shape, little-endian tensor_content. */
  private static TensorProto floats(float[] values, long... shape) {
    ByteBuffer content = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      content.putFloat(v);
    }
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : shape) {
      s.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(s)
        .setTensorContent(ByteString.copyFrom(content.array())).build();
  }

  private static float[] values(ByteString tensor) throws Exception {
    TensorProto t = TensorProto.parseFrom(tensor);
    if (!t.getTensorContent().isEmpty()) {
      float[] out = new float[t.getTensorContent().size() / 4];
      t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }
    float[] out = new float[t.getFloatValCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = t.getFloatVal(i);
    }
    return out;
  }

  private static float[] flat(float[][] rows) {
    float[] out = new float[rows.length * rows[0].length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * rows[0].length, rows[0].length);
    }
    return out;
  }

  private static ModelSpec spec(String signature) {
    return ModelSpec.newBuilder().setName("tiny").setSignatureName(signature).build();
  }

  @Test
  void tfServingPredictGivesInputChecksWhenTheOutputFilterAsksForThem() throws Exception {
    PredictRequest.Builder request = PredictRequest.newBuilder().setModelSpec(spec(""))
        .putInputs(ModelNames.IN_IMAGES, floats(IMAGES.pixels(), 3, 32, 32, 1).toByteString());
    PredictResponse plain = call(TfServingGrpc.PREDICT, request.build());
    assertTrue(!plain.containsOutputs(ModelNames.OUT_INPUT_CHECK), "not asked, not computed");
    PredictResponse checked = call(TfServingGrpc.PREDICT, request.addOutputFilter(ModelNames.OUT_PROBABILITIES)
        .addOutputFilter(ModelNames.OUT_INPUT_CHECK).build());
    TensorProto codes = TensorProto.parseFrom(checked.getOutputsOrThrow(ModelNames.OUT_INPUT_CHECK));
    assertEquals(DataType.DT_STRING, codes.getDtype());
    assertEquals(3, codes.getStringValCount());
    // Blobs are no chest CT: each is flagged, as the model-input check says of that very image.
    for (int i = 0; i < 3; i++) {
      float[] image = java.util.Arrays.copyOfRange(IMAGES.pixels(), i * 32 * 32, (i + 1) * 32 * 32);
      String expected = org.ctnet.graph.check.InputCheck.checkModelInput(image, 32, 32, 1).code();
      assertEquals(expected, codes.getStringVal(i).toStringUtf8());
      assertTrue(!expected.equals("ok"), expected);
    }
    assertTrue(checked.containsOutputs(ModelNames.OUT_PROBABILITIES));
  }

  @Test
  void tfServingPredictMatchesTheModelInProcess() throws Exception {
    PredictResponse r = call(TfServingGrpc.PREDICT, PredictRequest.newBuilder().setModelSpec(spec(""))
        .putInputs(ModelNames.IN_IMAGES, floats(IMAGES.pixels(), 3, 32, 32, 1).toByteString()).build());
    Prediction expected = inProcess.predict(IMAGES.pixels(), 3);
    assertArrayEquals(flat(expected.probabilities()), values(r.getOutputsOrThrow(ModelNames.OUT_PROBABILITIES)), 1e-6f);
    assertArrayEquals(flat(expected.logits()), values(r.getOutputsOrThrow(ModelNames.OUT_LOGITS)), 1e-5f);
    assertEquals(1, r.getModelSpec().getVersion().getValue());
    assertEquals(ModelNames.SERVING_DEFAULT, r.getModelSpec().getSignatureName());

    // serving_bytes: PNGs decoded in the graph, the same answer as in-process
    byte[] png = SyntheticImages.png(java.util.Arrays.copyOf(IMAGES.pixels(), 32 * 32), 32, 32);
    TensorProto strings = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
        .addStringVal(ByteString.copyFrom(png)).build();
    PredictResponse bytes = call(TfServingGrpc.PREDICT, PredictRequest.newBuilder()
        .setModelSpec(spec(ModelNames.SERVING_BYTES).toBuilder().setVersion(Int64Value.of(1)))
        .putInputs(ModelNames.IN_IMAGE_BYTES, strings.toByteString()).build());
    assertArrayEquals(flat(inProcess.predictEncoded(List.of(png)).probabilities()),
        values(bytes.getOutputsOrThrow(ModelNames.OUT_PROBABILITIES)), 1e-6f);
  }

  @Test
  void theExplainSignatureThroughPredictWithAnOutputFilter() throws Exception {
    String heatmap = CamMethod.GRAD_CAM_PLUS_PLUS.key() + ModelNames.OUT_HEATMAP_SUFFIX;
    TensorProto classes = TensorProto.newBuilder().setDtype(DataType.DT_INT32)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(3)))
        .addIntVal(1).addIntVal(1).addIntVal(0).build();
    PredictResponse r = call(TfServingGrpc.PREDICT, PredictRequest.newBuilder().setModelSpec(spec(ModelNames.EXPLAIN))
        .putInputs(ModelNames.IN_IMAGES, floats(IMAGES.pixels(), 3, 32, 32, 1).toByteString())
        .putInputs(ModelNames.IN_CLASS_INDEX, classes.toByteString())
        .addOutputFilter(heatmap).addOutputFilter(ModelNames.OUT_TARGET_CLASS).build());
    assertEquals(2, r.getOutputsCount(), r.getOutputsMap().keySet().toString());
    Explanation expected = inProcess.explain(IMAGES.pixels(), 3, new int[] {1, 1, 0});
    assertArrayEquals(flat(expected.maps().get(CamMethod.GRAD_CAM_PLUS_PLUS).heatmap()), values(r.getOutputsOrThrow(heatmap)),
        1e-5f);
    TensorProto target = TensorProto.parseFrom(r.getOutputsOrThrow(ModelNames.OUT_TARGET_CLASS));
    assertEquals(List.of(1, 1, 0), target.getIntValList());
    assertEquals(List.of(3L, 32L, 32L), TensorProto.parseFrom(r.getOutputsOrThrow(heatmap)).getTensorShape().getDimList()
        .stream().map(TensorShapeProto.Dim::getSize).toList());
  }

  @Test
  void modelStatusAndMetadataAsTfServingReportsThem() throws Exception {
    var status = call(TfServingGrpc.GET_MODEL_STATUS, GetModelStatusRequest.newBuilder().setModelSpec(spec("")).build());
    assertEquals(1, status.getModelVersionStatusCount());
    assertEquals(ModelVersionStatus.State.AVAILABLE, status.getModelVersionStatus(0).getState());
    assertEquals(0, status.getModelVersionStatus(0).getStatus().getErrorCode());
    var metadata = call(TfServingGrpc.GET_MODEL_METADATA, GetModelMetadataRequest.newBuilder().setModelSpec(spec(""))
        .addMetadataField("signature_def").build());
    var packed = metadata.getMetadataOrThrow("signature_def");
    assertEquals("type.googleapis.com/tensorflow.serving.SignatureDefMap", packed.getTypeUrl());
    SignatureDefMap defs = SignatureDefMap.parseFrom(packed.getValue());
    assertEquals(java.util.Set.copyOf(ModelNames.SIGNATURES), defs.getSignatureDefMap().keySet());
    SignatureDef serving = SignatureDef.parseFrom(defs.getSignatureDefOrThrow(ModelNames.SERVING_DEFAULT));
    assertEquals(List.of(-1L, 32L, 32L, 1L), serving.getInputsOrThrow(ModelNames.IN_IMAGES).getTensorShape().getDimList()
        .stream().map(TensorShapeProto.Dim::getSize).toList());
    assertEquals(DataType.DT_FLOAT, serving.getOutputsOrThrow(ModelNames.OUT_PROBABILITIES).getDtype());
  }

  @Test
  void badCallsGetTheStatusCodesTfServingClientsExpect() {
    PredictRequest good = PredictRequest.newBuilder().setModelSpec(spec(""))
        .putInputs(ModelNames.IN_IMAGES, floats(IMAGES.pixels(), 3, 32, 32, 1).toByteString()).build();
    assertEquals(Status.Code.NOT_FOUND, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        good.toBuilder().setModelSpec(ModelSpec.newBuilder().setName("nope")).build())));
    assertEquals(Status.Code.NOT_FOUND, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        good.toBuilder().setModelSpec(spec("").toBuilder().setVersion(Int64Value.of(7))).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        PredictRequest.newBuilder().setModelSpec(spec(""))
            .putInputs(ModelNames.IN_IMAGES, floats(new float[16 * 16], 1, 16, 16, 1).toByteString()).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        PredictRequest.newBuilder().setModelSpec(spec("")).putInputs(ModelNames.IN_IMAGES, ByteString.copyFromUtf8("junk"))
            .build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        good.toBuilder().setModelSpec(spec(ModelNames.TRAIN_STEP)).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        good.toBuilder().addOutputFilter("nothing").build())));
    // more images than the server's per-request limit (4)
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        PredictRequest.newBuilder().setModelSpec(spec(""))
            .putInputs(ModelNames.IN_IMAGES, floats(new float[5 * 32 * 32], 5, 32, 32, 1).toByteString()).build())));
    // shapes that declare more than they hold: refused before anything is allocated
    TensorProto hugeClasses = TensorProto.newBuilder().setDtype(DataType.DT_INT32)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(Integer.MAX_VALUE)))
        .build();
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        good.toBuilder().setModelSpec(spec(ModelNames.EXPLAIN))
            .putInputs(ModelNames.IN_CLASS_INDEX, hugeClasses.toByteString()).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        PredictRequest.newBuilder().setModelSpec(spec(ModelNames.SERVING_BYTES)).putInputs(ModelNames.IN_IMAGE_BYTES,
            TensorProto.newBuilder().setDtype(DataType.DT_STRING).setTensorShape(TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dim.newBuilder().setSize(1L << 40))
                .addDim(TensorShapeProto.Dim.newBuilder().setSize(1L << 40))).build().toByteString()).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(TfServingGrpc.CLASSIFY, () -> call(TfServingGrpc.CLASSIFY,
        ClassificationRequest.newBuilder().setModelSpec(spec("")).build())));
    // over the message size limit (the REST body limit, 1 MB here)
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, failure(TfServingGrpc.PREDICT, () -> call(TfServingGrpc.PREDICT,
        PredictRequest.newBuilder().setModelSpec(spec(""))
            .putInputs("padding", ByteString.copyFrom(new byte[1_200_000])).build())));
  }

  @Test
  void aCallWithoutTheTokenIsRefusedButProbesAreOpen() {
    var plain = ClientCalls.blockingUnaryCall(channel, KServeGrpc.SERVER_LIVE, CallOptions.DEFAULT,
        ServerLiveRequest.getDefaultInstance());
    assertTrue(plain.getLive());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(channel,
        TfServingGrpc.GET_MODEL_STATUS, CallOptions.DEFAULT, GetModelStatusRequest.newBuilder().setModelSpec(spec("")).build()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    // gRPC's standard health check, as Kubernetes gRPC probes call it (no token)
    var health = ClientCalls.blockingUnaryCall(channel, io.grpc.health.v1.HealthGrpc.getCheckMethod(), CallOptions.DEFAULT,
        io.grpc.health.v1.HealthCheckRequest.newBuilder().setService(TfServingGrpc.PREDICTION_SERVICE).build());
    assertEquals(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
    assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(channel,
        io.grpc.health.v1.HealthGrpc.getCheckMethod(), CallOptions.DEFAULT,
        io.grpc.health.v1.HealthCheckRequest.newBuilder().setService("nope").build())).getStatus().getCode());
  }

  @Test
  void kserveReadinessMetadataAndInferWithRawAndTypedContents() throws Exception {
    assertTrue(call(KServeGrpc.SERVER_READY, ServerReadyRequest.getDefaultInstance()).getReady());
    assertTrue(call(KServeGrpc.MODEL_READY, ModelReadyRequest.newBuilder().setName("tiny").setVersion("1").build()).getReady());
    // a version that does not exist is not found, as over REST
    assertEquals(Status.Code.NOT_FOUND, failure(KServeGrpc.MODEL_READY, () -> call(KServeGrpc.MODEL_READY,
        ModelReadyRequest.newBuilder().setName("tiny").setVersion("9").build())));
    var meta = call(KServeGrpc.MODEL_METADATA, ModelMetadataRequest.newBuilder().setName("tiny").build());
    assertEquals(List.of("1"), meta.getVersionsList());
    assertEquals(List.of(-1L, 32L, 32L, 1L), meta.getInputs(0).getShapeList());

    Prediction expected = inProcess.predict(IMAGES.pixels(), 3);
    ByteBuffer raw = ByteBuffer.allocate(IMAGES.pixels().length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : IMAGES.pixels()) {
      raw.putFloat(v);
    }
    ModelInferRequest.InferInputTensor images = ModelInferRequest.InferInputTensor.newBuilder().setName(ModelNames.IN_IMAGES)
        .setDatatype("FP32").addAllShape(List.of(3L, 32L, 32L, 1L)).build();
    ModelInferResponse r = call(KServeGrpc.MODEL_INFER, ModelInferRequest.newBuilder().setModelName("tiny").setId("a1")
        .addInputs(images).addRawInputContents(ByteString.copyFrom(raw.array())).build());
    assertEquals("a1", r.getId());
    assertEquals("1", r.getModelVersion());
    ModelInferResponse.InferOutputTensor probabilities = r.getOutputsList().stream()
        .filter(o -> o.getName().equals(ModelNames.OUT_PROBABILITIES)).findFirst().orElseThrow();
    assertEquals(List.of(3L, 2L), probabilities.getShapeList());
    float[] got = new float[6];
    for (int i = 0; i < 6; i++) {
      got[i] = probabilities.getContents().getFp32Contents(i);
    }
    assertArrayEquals(flat(expected.probabilities()), got, 1e-6f);

    // typed contents, and an explain output by name for class 1
    ModelInferRequest.InferInputTensor.Builder typed = images.toBuilder();
    for (float v : IMAGES.pixels()) {
      typed.getContentsBuilder().addFp32Contents(v);
    }
    String heatmap = CamMethod.GRAD_CAM.key() + ModelNames.OUT_HEATMAP_SUFFIX;
    ModelInferResponse explained = call(KServeGrpc.MODEL_INFER, ModelInferRequest.newBuilder().setModelName("tiny")
        .addInputs(typed).putParameters("class_index", InferParameter.newBuilder().setInt64Param(1).build())
        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(heatmap)).build());
    assertEquals(1, explained.getOutputsCount());
    float[] heat = new float[3 * 32 * 32];
    for (int i = 0; i < heat.length; i++) {
      heat[i] = explained.getOutputs(0).getContents().getFp32Contents(i);
    }
    assertArrayEquals(flat(inProcess.explain(IMAGES.pixels(), 3, new int[] {1, 1, 1}).maps().get(CamMethod.GRAD_CAM).heatmap()),
        heat, 1e-5f);
    assertEquals(Status.Code.INVALID_ARGUMENT, failure(KServeGrpc.MODEL_INFER, () -> call(KServeGrpc.MODEL_INFER,
        ModelInferRequest.newBuilder().setModelName("tiny").addInputs(images).build())));
  }

  @Test
  void parallelClientsOnOneChannelEachGetTheirOwnAnswer() throws Exception {
    // 16 callers, each with its own image, over one HTTP/2 channel: micro-batching must not mix them up
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    List<java.util.concurrent.Future<float[]>> answers = new java.util.ArrayList<>();
    float[][] images = new float[16][];
    for (int t = 0; t < 16; t++) {
      images[t] = SyntheticImages.blobs(1, 32, 100 + t).pixels();
      float[] image = images[t];
      answers.add(pool.submit(() -> values(call(TfServingGrpc.PREDICT, PredictRequest.newBuilder().setModelSpec(spec(""))
          .putInputs(ModelNames.IN_IMAGES, floats(image, 1, 32, 32, 1).toByteString()).build())
          .getOutputsOrThrow(ModelNames.OUT_PROBABILITIES))));
    }
    for (int t = 0; t < 16; t++) {
      assertArrayEquals(inProcess.predict(images[t], 1).probabilities()[0], answers.get(t).get(), 1e-6f, "caller " + t);
    }
    pool.shutdown();
  }
}

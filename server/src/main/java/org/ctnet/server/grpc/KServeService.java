package org.ctnet.server.grpc;

import com.google.protobuf.ByteString;
import io.grpc.ServerServiceDefinition;
import java.nio.ByteOrder;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.grpc.proto.kserve.InferParameter;
import org.ctnet.server.grpc.proto.kserve.InferTensorContents;
import org.ctnet.server.grpc.proto.kserve.ModelInferRequest;
import org.ctnet.server.grpc.proto.kserve.ModelInferResponse;
import org.ctnet.server.grpc.proto.kserve.ModelMetadataRequest;
import org.ctnet.server.grpc.proto.kserve.ModelMetadataResponse;
import org.ctnet.server.grpc.proto.kserve.ModelReadyRequest;
import org.ctnet.server.grpc.proto.kserve.ModelReadyResponse;
import org.ctnet.server.grpc.proto.kserve.ServerLiveResponse;
import org.ctnet.server.grpc.proto.kserve.ServerMetadataResponse;
import org.ctnet.server.grpc.proto.kserve.ServerReadyResponse;
import org.ctnet.server.inference.ImageInputs;
import org.ctnet.server.inference.Images;
import org.ctnet.server.inference.KServeOperations;
import org.ctnet.server.inference.NamedTensor;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.ServedVersion;

/**
 * KServe's GRPCInferenceService: server and model liveness, readiness and metadata, and ModelInfer
 * on {@code images} (FP32) or {@code image_bytes} (BYTES), with the explain signature's outputs by
 * name, like the REST v2 API.
 */
final class KServeService {
  private final ModelRepository repository;
  private final KServeOperations operations;
  private final BooleanSupplier draining;

  KServeService(ModelRepository repository, KServeOperations operations, BooleanSupplier draining) {
    this.repository = repository;
    this.operations = operations;
    this.draining = draining;
  }

  ServerServiceDefinition definition(Metrics metrics) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(KServeGrpc.SERVICE);
    Unary.bind(b, KServeGrpc.SERVER_LIVE, r -> "", r -> ServerLiveResponse.newBuilder().setLive(true).build(), metrics,
        repository);
    Unary.bind(b, KServeGrpc.SERVER_READY, r -> "",
        r -> ServerReadyResponse.newBuilder().setReady(repository.ready() && !draining.getAsBoolean()).build(), metrics,
        repository);
    Unary.bind(b, KServeGrpc.MODEL_READY, ModelReadyRequest::getName,
        r -> ModelReadyResponse.newBuilder().setReady(operations.ready(r.getName(), r.getVersion())).build(), metrics,
        repository);
    Unary.bind(b, KServeGrpc.SERVER_METADATA, r -> "", r -> serverMetadata(), metrics, repository);
    Unary.bind(b, KServeGrpc.MODEL_METADATA, ModelMetadataRequest::getName, this::modelMetadata, metrics, repository);
    Unary.bind(b, KServeGrpc.MODEL_INFER, ModelInferRequest::getModelName, this::infer, metrics, repository);
    return b.build();
  }

  private static ServerMetadataResponse serverMetadata() {
    String version = KServeService.class.getPackage().getImplementationVersion();
    return ServerMetadataResponse.newBuilder().setName("ctnet-server")
        .setVersion(version == null ? "development" : version).build();
  }

  private ModelMetadataResponse modelMetadata(ModelMetadataRequest request) {
    KServeOperations.Metadata m = operations.metadata(request.getName(), request.getVersion());
    ModelMetadataResponse.Builder out = ModelMetadataResponse.newBuilder().setName(m.name())
        .setPlatform("tensorflow_savedmodel").addAllVersions(m.versions());
    m.inputs().forEach(t -> out.addInputs(tensor(t)));
    m.outputs().forEach(t -> out.addOutputs(tensor(t)));
    return out.build();
  }

  private static ModelMetadataResponse.TensorMetadata tensor(KServeOperations.TensorSpec spec) {
    ModelMetadataResponse.TensorMetadata.Builder t = ModelMetadataResponse.TensorMetadata.newBuilder()
        .setName(spec.name()).setDatatype(spec.datatype());
    for (long d : spec.shape()) {
      t.addShape(d);
    }
    return t.build();
  }

  private ModelInferResponse infer(ModelInferRequest request) {
    return operations.onVersion(request.getModelName(), request.getModelVersion(), served -> {
      KServeOperations.checkInputCount(request.getInputsCount());
      if (request.getRawInputContentsCount() > 1) {
        throw ServingException.badRequest("raw_input_contents must hold one entry per input (1), got "
            + request.getRawInputContentsCount());
      }
      List<String> wanted = request.getOutputsList().stream()
          .map(ModelInferRequest.InferRequestedOutputTensor::getName).toList();
      InferParameter p = request.getParametersMap().get("class_index");
      Object classIndex = p == null ? null : switch (p.getParameterChoiceCase()) {
        case INT64_PARAM -> (Object) p.getInt64Param();
        case STRING_PARAM -> "\"" + p.getStringParam() + "\""; // spelled as REST's JSON spells it
        case BOOL_PARAM -> Boolean.toString(p.getBoolParam());
        default -> p.toString().strip();
      };
      List<NamedTensor> tensors = operations.infer(served, images(served, request), wanted, classIndex);
      ModelInferResponse.Builder out = ModelInferResponse.newBuilder().setModelName(request.getModelName())
          .setModelVersion(Long.toString(served.version())).setId(request.getId());
      tensors.forEach(t -> out.addOutputs(output(t)));
      return out.build();
    });
  }

  /** The one input, from typed contents or from raw_input_contents (little-endian, BYTES length-prefixed). */
  private Images images(ServedVersion served, ModelInferRequest request) {
    ModelInferRequest.InferInputTensor input = request.getInputs(0);
    ByteString raw = request.getRawInputContentsCount() == 1 ? request.getRawInputContents(0) : null;
    NetworkSpec spec = served.predictor().spec();
    int n = operations.checkInput(spec, input.getName(), input.getDatatype(), input.getShapeList());
    if (n < 0) {
      return new Images.Encoded(raw != null ? ImageInputs.lengthPrefixed(raw.asReadOnlyByteBuffer())
          : input.getContents().getBytesContentsList().stream().map(ByteString::toByteArray).toList());
    }
    long length = (long) n * spec.inputShape().pixels();
    float[] pixels;
    if (raw != null) {
      if (raw.size() != length * 4) {
        throw ServingException.badRequest("inputs[0] has " + raw.size() + " bytes of FP32 data, the shape needs "
            + length * 4);
      }
      pixels = new float[(int) length];
      raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(pixels);
    } else {
      pixels = new float[input.getContents().getFp32ContentsCount()];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = input.getContents().getFp32Contents(i);
      }
    }
    return new Images.Pixels(KServeOperations.checkedPixels(pixels, length), n);
  }

  private static ModelInferResponse.InferOutputTensor output(NamedTensor t) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    switch (t) {
      case NamedTensor.Floats f -> {
        for (float v : f.values()) {
          c.addFp32Contents(v);
        }
      }
      case NamedTensor.Ints i -> {
        for (int v : i.values()) {
          c.addIntContents(v);
        }
      }
      case NamedTensor.Bools b -> {
        for (boolean v : b.values()) {
          c.addBoolContents(v);
        }
      }
      case NamedTensor.Strings s -> s.values().forEach(v -> c.addBytesContents(ByteString.copyFromUtf8(v)));
    }
    ModelInferResponse.InferOutputTensor.Builder out = ModelInferResponse.InferOutputTensor.newBuilder()
        .setName(t.name()).setDatatype(t.datatype()).setContents(c);
    for (long d : t.shape()) {
      out.addShape(d);
    }
    return out.build();
  }
}

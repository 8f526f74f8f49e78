package org.ctnet.server.grpc;

import com.google.protobuf.ByteString;
import io.grpc.ServerServiceDefinition;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.config.ServerSettings;
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
import org.ctnet.server.inference.KServeInference;
import org.ctnet.server.inference.SchedulerCalls;
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
  private final ServerSettings settings;
  private final ImageInputs inputs;
  private final SchedulerCalls calls;
  private final BooleanSupplier draining;

  KServeService(ModelRepository repository, ServerSettings settings, ImageInputs inputs, SchedulerCalls calls,
      BooleanSupplier draining) {
    this.repository = repository;
    this.settings = settings;
    this.inputs = inputs;
    this.calls = calls;
    this.draining = draining;
  }

  ServerServiceDefinition definition(Metrics metrics) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(KServeGrpc.SERVICE);
    Unary.bind(b, KServeGrpc.SERVER_LIVE, r -> "", r -> ServerLiveResponse.newBuilder().setLive(true).build(), metrics,
        repository);
    Unary.bind(b, KServeGrpc.SERVER_READY, r -> "",
        r -> ServerReadyResponse.newBuilder().setReady(repository.ready() && !draining.getAsBoolean()).build(), metrics,
        repository);
    Unary.bind(b, KServeGrpc.MODEL_READY, ModelReadyRequest::getName, this::modelReady, metrics, repository);
    Unary.bind(b, KServeGrpc.SERVER_METADATA, r -> "", r -> serverMetadata(), metrics, repository);
    Unary.bind(b, KServeGrpc.MODEL_METADATA, ModelMetadataRequest::getName, this::modelMetadata, metrics, repository);
    Unary.bind(b, KServeGrpc.MODEL_INFER, ModelInferRequest::getModelName, this::infer, metrics, repository);
    return b.build();
  }

  private static String versionOrNull(String version) {
    return version.isEmpty() ? null : version;
  }

  private ModelReadyResponse modelReady(ModelReadyRequest request) {
    boolean ready;
    if (request.getVersion().isEmpty()) {
      ready = repository.ready(request.getName());
    } else {
      try {
        ready = repository.ready(request.getName(), Long.parseLong(request.getVersion()));
      } catch (NumberFormatException e) {
        throw ServingException.badRequest("a model version is an integer, got '" + request.getVersion() + "'");
      }
    }
    return ModelReadyResponse.newBuilder().setReady(ready).build();
  }

  private static ServerMetadataResponse serverMetadata() {
    String version = KServeService.class.getPackage().getImplementationVersion();
    return ServerMetadataResponse.newBuilder().setName("ctnet-server")
        .setVersion(version == null ? "development" : version).build();
  }

  private ModelMetadataResponse modelMetadata(ModelMetadataRequest request) {
    try (ModelRepository.Lease lease = repository.acquire(request.getName(), versionOrNull(request.getVersion()), null)) {
      NetworkSpec spec = lease.version().predictor().spec();
      ModelMetadataResponse.Builder out = ModelMetadataResponse.newBuilder().setName(request.getName())
          .setPlatform("tensorflow_savedmodel");
      repository.status(request.getName()).values().stream().filter(s -> s.state().equals("AVAILABLE"))
          .forEach(s -> out.addVersions(Long.toString(s.version())));
      out.addInputs(tensor(ModelNames.IN_IMAGES, "FP32", -1, spec.inputHeight(), spec.inputWidth(), spec.inputChannels()));
      out.addInputs(tensor(ModelNames.IN_IMAGE_BYTES, "BYTES", -1));
      out.addOutputs(tensor(ModelNames.OUT_PROBABILITIES, "FP32", -1, spec.numClasses()));
      out.addOutputs(tensor(ModelNames.OUT_LOGITS, "FP32", -1, spec.numClasses()));
      if (lease.version().predictor().hasLesionHead()) {
        out.addOutputs(tensor(ModelNames.OUT_LESION_MAP, "FP32", -1, spec.inputHeight(), spec.inputWidth()));
        out.addOutputs(tensor(ModelNames.OUT_LUNG_MAP, "FP32", -1, spec.inputHeight(), spec.inputWidth()));
        out.addOutputs(tensor(ModelNames.OUT_LUNG_INVOLVEMENT, "FP32", -1));
        out.addOutputs(tensor(ModelNames.OUT_SEVERITY, "INT32", -1));
      }
      return out.build();
    }
  }

  private static ModelMetadataResponse.TensorMetadata tensor(String name, String type, long... shape) {
    ModelMetadataResponse.TensorMetadata.Builder t = ModelMetadataResponse.TensorMetadata.newBuilder().setName(name)
        .setDatatype(type);
    for (long d : shape) {
      t.addShape(d);
    }
    return t.build();
  }

  private ModelInferResponse infer(ModelInferRequest request) {
    try (ModelRepository.Lease lease = repository.acquire(request.getModelName(), versionOrNull(request.getModelVersion()),
        null)) {
      ServedVersion served = lease.version();
      NetworkSpec spec = served.predictor().spec();
      if (request.getInputsCount() != 1) {
        throw ServingException.badRequest("inputs must hold one tensor: '" + ModelNames.IN_IMAGES + "' (FP32) or '"
            + ModelNames.IN_IMAGE_BYTES + "' (BYTES), got " + request.getInputsCount());
      }
      if (request.getRawInputContentsCount() > 1) {
        throw ServingException.badRequest("raw_input_contents must hold one entry per input (1), got "
            + request.getRawInputContentsCount());
      }
      ModelInferRequest.InferInputTensor input = request.getInputs(0);
      ByteString raw = request.getRawInputContentsCount() == 1 ? request.getRawInputContents(0) : null;
      List<String> wanted = request.getOutputsList().stream().map(ModelInferRequest.InferRequestedOutputTensor::getName).toList();
      List<String> known = KServeInference.outputNames(served.predictor());
      for (String w : wanted) {
        if (!known.contains(w)) {
          throw ServingException.badRequest("unknown output '" + w + "'; outputs are " + String.join(", ", known));
        }
      }
      float[] pixels;
      int n;
      switch (input.getDatatype()) {
        case "FP32" -> {
          if (!input.getName().equals(ModelNames.IN_IMAGES)) {
            throw ServingException.badRequest("an FP32 input is named '" + ModelNames.IN_IMAGES + "', got '" + input.getName() + "'");
          }
          List<Long> shape = input.getShapeList();
          if (shape.size() != 4 || shape.get(0) < 1 || shape.get(0) > settings.maxInstances() || shape.get(1) != spec.inputHeight()
              || shape.get(2) != spec.inputWidth() || shape.get(3) != spec.inputChannels()) {
            throw ServingException.badRequest("FP32 input shape must be [n, " + spec.inputHeight() + ", " + spec.inputWidth() + ", "
                + spec.inputChannels() + "] with 1 <= n <= " + settings.maxInstances() + ", got " + shape);
          }
          n = (int) (long) shape.get(0);
          pixels = new float[n * spec.inputShape().pixels()];
          if (raw != null) {
            if (raw.size() != pixels.length * 4L) {
              throw ServingException.badRequest("raw_input_contents[0] has " + raw.size() + " bytes, the shape needs "
                  + pixels.length * 4L);
            }
            raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(pixels);
          } else {
            if (input.getContents().getFp32ContentsCount() != pixels.length) {
              throw ServingException.badRequest("contents.fp32_contents has " + input.getContents().getFp32ContentsCount()
                  + " values, the shape needs " + pixels.length);
            }
            for (int i = 0; i < pixels.length; i++) {
              pixels[i] = input.getContents().getFp32Contents(i);
            }
          }
          for (int i = 0; i < pixels.length; i++) {
            if (!Float.isFinite(pixels[i])) {
              throw ServingException.badRequest("inputs[0] holds a non-finite value at " + i);
            }
          }
        }
        case "BYTES" -> {
          List<byte[]> encoded = raw != null ? ImageInputs.lengthPrefixed(raw.asReadOnlyByteBuffer()) : input.getContents().getBytesContentsList().stream()
              .map(ByteString::toByteArray).toList();
          if (encoded.isEmpty() || encoded.size() > settings.maxInstances()) {
            throw ServingException.badRequest("BYTES input needs 1.." + settings.maxInstances() + " images, got " + encoded.size());
          }
          ImageInputs.Batch b = inputs.decodeInJava(served.predictor(), encoded);
          pixels = b.pixels();
          n = b.count();
        }
        default -> throw ServingException.badRequest("datatype must be FP32 or BYTES, got '" + input.getDatatype() + "'");
      }
      boolean explain = wanted.stream().anyMatch(w -> !w.equals(ModelNames.OUT_PROBABILITIES)
          && !w.equals(ModelNames.OUT_LOGITS) && !ModelNames.LESION_OUTPUTS.contains(w) && !w.equals(ModelNames.OUT_INPUT_CHECK));
      ModelInferResponse.Builder out = ModelInferResponse.newBuilder().setModelName(request.getModelName())
          .setModelVersion(Long.toString(served.version())).setId(request.getId());
      Prediction p;
      Explanation e = null;
      if (explain) {
        int[] classes = new int[n];
        java.util.Arrays.fill(classes, classIndex(request, spec.numClasses()));
        e = calls.explanation(served, pixels, n, classes, false);
        p = e.prediction();
      } else {
        p = calls.await(served.predict(pixels, n));
      }
      for (String name : List.of(ModelNames.OUT_PROBABILITIES, ModelNames.OUT_LOGITS)) {
        if (wanted.isEmpty() || wanted.contains(name)) {
          float[][] rows = name.equals(ModelNames.OUT_PROBABILITIES) ? p.probabilities() : p.logits();
          InferTensorContents.Builder c = InferTensorContents.newBuilder();
          for (float[] row : rows) {
            for (float v : row) {
              c.addFp32Contents(v);
            }
          }
          out.addOutputs(output(name, "FP32", c, n, spec.numClasses()));
        }
      }
      if (p.lesion() != null) {
        addLesionOutputs(out, p.lesion(), wanted, n);
      }
      if (wanted.contains(ModelNames.OUT_INPUT_CHECK)) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        ImageInputs.checks(served.predictor(), pixels, n)
            .forEach(check -> c.addBytesContents(ByteString.copyFromUtf8(check.code())));
        out.addOutputs(output(ModelNames.OUT_INPUT_CHECK, "BYTES", c, n));
      }
      if (e != null) {
        for (String w : wanted) {
          if (w.equals(ModelNames.OUT_TARGET_CLASS)) {
            InferTensorContents.Builder c = InferTensorContents.newBuilder();
            for (int t : e.targetClass()) {
              c.addIntContents(t);
            }
            out.addOutputs(output(w, "INT32", c, n));
            continue;
          }
          for (CamMethod m : served.predictor().camMethods()) {
            Explanation.Maps maps = e.maps().get(m);
            boolean heatmap = w.equals(m.key() + ModelNames.OUT_HEATMAP_SUFFIX);
            if (heatmap || w.equals(m.key() + ModelNames.OUT_CAM_SUFFIX)) {
              InferTensorContents.Builder c = InferTensorContents.newBuilder();
              for (float[] image : heatmap ? maps.heatmap() : maps.cam()) {
                for (float v : image) {
                  c.addFp32Contents(v);
                }
              }
              out.addOutputs(heatmap ? output(w, "FP32", c, n, maps.height(), maps.width())
                  : output(w, "FP32", c, n, maps.camHeight(), maps.camWidth()));
            } else if (w.equals(m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX)) {
              InferTensorContents.Builder c = InferTensorContents.newBuilder();
              for (boolean v : maps.hasEvidence()) {
                c.addBoolContents(v);
              }
              out.addOutputs(output(w, "BOOL", c, n));
            }
          }
        }
      }
      return out.build();
    }
  }

  /** As over REST: the scalars by default, the maps (n × H × W floats each) when named. */
  private static void addLesionOutputs(ModelInferResponse.Builder out, org.ctnet.graph.runtime.LesionMaps l,
      List<String> wanted, int n) {
    if (wanted.isEmpty() || wanted.contains(ModelNames.OUT_LUNG_INVOLVEMENT)) {
      InferTensorContents.Builder c = InferTensorContents.newBuilder();
      for (float v : l.involvement()) {
        c.addFp32Contents(v);
      }
      out.addOutputs(output(ModelNames.OUT_LUNG_INVOLVEMENT, "FP32", c, n));
    }
    if (wanted.isEmpty() || wanted.contains(ModelNames.OUT_SEVERITY)) {
      InferTensorContents.Builder c = InferTensorContents.newBuilder();
      for (int v : l.severity()) {
        c.addIntContents(v);
      }
      out.addOutputs(output(ModelNames.OUT_SEVERITY, "INT32", c, n));
    }
    for (String name : List.of(ModelNames.OUT_LESION_MAP, ModelNames.OUT_LUNG_MAP)) {
      if (wanted.contains(name)) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        for (float[] image : name.equals(ModelNames.OUT_LESION_MAP) ? l.lesionMaps() : l.lungMaps()) {
          for (float v : image) {
            c.addFp32Contents(v);
          }
        }
        out.addOutputs(output(name, "FP32", c, n, l.height(), l.width()));
      }
    }
  }

  private static int classIndex(ModelInferRequest request, int numClasses) {
    InferParameter p = request.getParametersMap().get("class_index");
    if (p == null) {
      return -1;
    }
    if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.INT64_PARAM || p.getInt64Param() < -1
        || p.getInt64Param() >= numClasses) {
      throw ServingException.badRequest("parameters.class_index must be an int64: -1 (the class served as the label) or "
          + "a class index 0.." + (numClasses - 1));
    }
    return (int) p.getInt64Param();
  }

  private static ModelInferResponse.InferOutputTensor output(String name, String type, InferTensorContents.Builder contents,
      long... shape) {
    ModelInferResponse.InferOutputTensor.Builder t = ModelInferResponse.InferOutputTensor.newBuilder().setName(name)
        .setDatatype(type).setContents(contents);
    for (long d : shape) {
      t.addShape(d);
    }
    return t.build();
  }
}

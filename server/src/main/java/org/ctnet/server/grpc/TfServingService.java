package org.ctnet.server.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Int64Value;
import io.grpc.ServerServiceDefinition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.grpc.proto.tfs.GetModelMetadataRequest;
import org.ctnet.server.grpc.proto.tfs.GetModelMetadataResponse;
import org.ctnet.server.grpc.proto.tfs.GetModelStatusRequest;
import org.ctnet.server.grpc.proto.tfs.GetModelStatusResponse;
import org.ctnet.server.grpc.proto.tfs.ModelSpec;
import org.ctnet.server.grpc.proto.tfs.ModelVersionStatus;
import org.ctnet.server.grpc.proto.tfs.PredictRequest;
import org.ctnet.server.grpc.proto.tfs.PredictResponse;
import org.ctnet.server.grpc.proto.tfs.SignatureDefMap;
import org.ctnet.server.grpc.proto.tfs.StatusProto;
import org.ctnet.server.inference.ImageInputs;
import org.ctnet.server.inference.SchedulerCalls;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;
import org.ctnet.server.repository.ServedVersion;
import org.tensorflow.Signature;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * TF Serving's PredictionService and ModelService: Predict on serving_default, serving_bytes and
 * explain (by {@code signature_name}), model metadata and status. Every run goes through the served
 * version's scheduler, like REST.
 */
final class TfServingService {
  private final ModelRepository repository;
  private final ServerSettings settings;
  private final ImageInputs inputs;
  private final SchedulerCalls calls;

  TfServingService(ModelRepository repository, ServerSettings settings, ImageInputs inputs, SchedulerCalls calls) {
    this.repository = repository;
    this.settings = settings;
    this.inputs = inputs;
    this.calls = calls;
  }

  List<ServerServiceDefinition> definitions(Metrics metrics) {
    ServerServiceDefinition.Builder prediction = ServerServiceDefinition.builder(TfServingGrpc.PREDICTION_SERVICE);
    Unary.bind(prediction, TfServingGrpc.PREDICT, r -> r.getModelSpec().getName(), this::predict, metrics, repository);
    Unary.bind(prediction, TfServingGrpc.GET_MODEL_METADATA, r -> r.getModelSpec().getName(), this::metadata, metrics,
        repository);
    Unary.bind(prediction, TfServingGrpc.CLASSIFY, r -> r.getModelSpec().getName(),
        r -> noSuchSignature(r.getModelSpec(), "classify"), metrics, repository);
    Unary.bind(prediction, TfServingGrpc.REGRESS, r -> r.getModelSpec().getName(),
        r -> noSuchSignature(r.getModelSpec(), "regress"), metrics, repository);
    ServerServiceDefinition.Builder model = ServerServiceDefinition.builder(TfServingGrpc.MODEL_SERVICE);
    Unary.bind(model, TfServingGrpc.GET_MODEL_STATUS, r -> r.getModelSpec().getName(), this::status, metrics, repository);
    return List.of(prediction.build(), model.build());
  }

  private ModelRepository.Lease acquire(ModelSpec spec) {
    if (spec.getName().isEmpty()) {
      throw ServingException.badRequest("model_spec.name is required");
    }
    String version = spec.hasVersion() ? Long.toString(spec.getVersion().getValue()) : null;
    String label = spec.getVersionLabel().isEmpty() ? null : spec.getVersionLabel();
    return repository.acquire(spec.getName(), version, label);
  }

  private static ModelSpec answered(ModelSpec asked, ServedVersion served, String signature) {
    return ModelSpec.newBuilder().setName(asked.getName()).setVersion(Int64Value.of(served.version()))
        .setSignatureName(signature).build();
  }

  PredictResponse predict(PredictRequest request) {
    ModelSpec spec = request.getModelSpec();
    String signature = spec.getSignatureName().isEmpty() ? ModelNames.SERVING_DEFAULT : spec.getSignatureName();
    try (ModelRepository.Lease lease = acquire(spec)) {
      ServedVersion served = lease.version();
      NetworkSpec network = served.predictor().spec();
      Map<String, TensorProto> tensors = new LinkedHashMap<>();
      request.getInputsMap().forEach((name, bytes) -> tensors.put(name, TensorProtos.parse(name, bytes)));
      Map<String, TensorProto> outputs = new LinkedHashMap<>();
      // Input checks ride as an extra output when output_filter names it (clients that do not ask never pay).
      boolean checked = request.getOutputFilterList().contains(ModelNames.OUT_INPUT_CHECK);
      switch (signature) {
        case ModelNames.SERVING_DEFAULT -> {
          expectInputs(tensors, List.of(ModelNames.IN_IMAGES), List.of());
          int n = imageCount(tensors.get(ModelNames.IN_IMAGES), network);
          float[] pixels = TensorProtos.floats(ModelNames.IN_IMAGES, tensors.get(ModelNames.IN_IMAGES));
          Prediction p = calls.await(served.predict(pixels, n));
          putPrediction(outputs, p);
          if (checked) {
            putChecks(outputs, served, ImageInputs.checks(served.predictor(), pixels, n), p);
          }
        }
        case ModelNames.SERVING_BYTES -> {
          expectInputs(tensors, List.of(ModelNames.IN_IMAGE_BYTES), List.of());
          List<byte[]> encoded = TensorProtos.strings(ModelNames.IN_IMAGE_BYTES, tensors.get(ModelNames.IN_IMAGE_BYTES));
          checkCount(encoded.size());
          Prediction p = inputs.predictEncoded(served, encoded, calls);
          putPrediction(outputs, p);
          if (checked) {
            var b = inputs.decodeInJava(served.predictor(), encoded);
            putChecks(outputs, served, ImageInputs.checks(served.predictor(), b.pixels(), b.count()), p);
          }
        }
        case ModelNames.EXPLAIN -> {
          expectInputs(tensors, List.of(ModelNames.IN_IMAGES), List.of(ModelNames.IN_CLASS_INDEX));
          int n = imageCount(tensors.get(ModelNames.IN_IMAGES), network);
          int[] classes = classIndices(tensors.get(ModelNames.IN_CLASS_INDEX), n, network.numClasses());
          Explanation e = calls.explanation(served,
              TensorProtos.floats(ModelNames.IN_IMAGES, tensors.get(ModelNames.IN_IMAGES)), n, classes, false);
          putPrediction(outputs, e.prediction());
          outputs.put(ModelNames.OUT_TARGET_CLASS, TensorProtos.intTensor(e.targetClass()));
          for (CamMethod m : served.predictor().camMethods()) {
            Explanation.Maps maps = e.maps().get(m);
            outputs.put(m.key() + ModelNames.OUT_HEATMAP_SUFFIX, TensorProtos.floatTensor(maps.heatmap(), maps.height(), maps.width()));
            outputs.put(m.key() + ModelNames.OUT_CAM_SUFFIX, TensorProtos.floatTensor(maps.cam(), maps.camHeight(), maps.camWidth()));
            outputs.put(m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX, TensorProtos.boolTensor(maps.hasEvidence()));
          }
        }
        case ModelNames.TRAIN_STEP -> throw ServingException.badRequest(
            "signature '" + ModelNames.TRAIN_STEP + "' is not served: it changes the model's weights");
        default -> throw ServingException.badRequest("unknown signature '" + signature + "'; served: "
            + ModelNames.SERVING_DEFAULT + ", " + ModelNames.SERVING_BYTES + ", " + ModelNames.EXPLAIN);
      }
      PredictResponse.Builder response = PredictResponse.newBuilder().setModelSpec(answered(spec, served, signature));
      List<String> filter = request.getOutputFilterList();
      for (String wanted : filter) {
        if (!outputs.containsKey(wanted)) {
          throw ServingException.badRequest("output_filter names '" + wanted + "', not an output of " + signature
              + " (outputs: " + String.join(", ", outputs.keySet()) + ")");
        }
      }
      outputs.forEach((name, tensor) -> {
        if (filter.isEmpty() || filter.contains(name)) {
          response.putOutputs(name, tensor.toByteString());
        }
      });
      return response.build();
    }
  }

  private static void expectInputs(Map<String, TensorProto> given, List<String> required, List<String> optional) {
    for (String name : required) {
      if (!given.containsKey(name)) {
        throw ServingException.badRequest("missing input '" + name + "'");
      }
    }
    for (String name : given.keySet()) {
      if (!required.contains(name) && !optional.contains(name)) {
        throw ServingException.badRequest("unexpected input '" + name + "'; inputs: " + required + " " + optional);
      }
    }
  }

  /** n from an images tensor of shape [n, H, W, C] (or [n, H, W] for one channel). */
  private int imageCount(TensorProto images, NetworkSpec network) {
    long[] shape = TensorProtos.shape(images);
    boolean fits = shape.length >= 1 && shape[0] >= 1
        && (shape.length == 4 && shape[1] == network.inputHeight() && shape[2] == network.inputWidth()
            && shape[3] == network.inputChannels()
            || shape.length == 3 && network.inputChannels() == 1 && shape[1] == network.inputHeight()
            && shape[2] == network.inputWidth());
    if (!fits) {
      throw ServingException.badRequest("input '" + ModelNames.IN_IMAGES + "' must have shape [n, " + network.inputHeight() + ", "
          + network.inputWidth() + ", " + network.inputChannels() + "], got " + java.util.Arrays.toString(shape));
    }
    checkCount(shape[0]);
    return (int) shape[0];
  }

  private void checkCount(long n) {
    if (n < 1 || n > settings.maxInstances()) {
      throw ServingException.badRequest("a request holds 1.." + settings.maxInstances() + " images, got " + n);
    }
  }

  private static int[] classIndices(TensorProto given, int n, int numClasses) {
    int[] classes = new int[n];
    java.util.Arrays.fill(classes, -1);
    if (given == null) {
      return classes;
    }
    int[] values = TensorProtos.ints(ModelNames.IN_CLASS_INDEX, given, n);
    for (int v : values) {
      if (v < -1 || v >= numClasses) {
        throw ServingException.badRequest(ModelNames.IN_CLASS_INDEX + " must be -1 (predicted class) or in [0, " + numClasses
            + "), got " + v);
      }
    }
    return values;
  }

  /** Each image's input check code (ok, or the reasons, the model's own out-of-distribution flag among them). */
  private static void putChecks(Map<String, TensorProto> outputs, ServedVersion served,
      List<org.ctnet.graph.check.InputCheck.Result> checks, Prediction p) {
    List<String> codes = new java.util.ArrayList<>();
    for (int i = 0; i < checks.size(); i++) {
      codes.add(served.withOutOfDistribution(checks.get(i), p, i).code());
    }
    outputs.put(ModelNames.OUT_INPUT_CHECK, TensorProtos.stringVector(codes));
  }

  private static void putPrediction(Map<String, TensorProto> outputs, Prediction p) {
    outputs.put(ModelNames.OUT_PROBABILITIES, TensorProtos.floatTensor(p.probabilities()));
    outputs.put(ModelNames.OUT_LOGITS, TensorProtos.floatTensor(p.logits()));
    if (p.lesion() != null) {
      var l = p.lesion();
      outputs.put(ModelNames.OUT_LESION_MAP, TensorProtos.floatTensor(l.lesionMaps(), l.height(), l.width()));
      outputs.put(ModelNames.OUT_LUNG_MAP, TensorProtos.floatTensor(l.lungMaps(), l.height(), l.width()));
      outputs.put(ModelNames.OUT_LUNG_INVOLVEMENT, TensorProtos.floatVector(l.involvement()));
      outputs.put(ModelNames.OUT_SEVERITY, TensorProtos.intTensor(l.severity()));
    }
  }

  /** TF Serving's answer for a model whose signature is not a classify/regress one. */
  private <R> R noSuchSignature(ModelSpec spec, String kind) {
    try (ModelRepository.Lease lease = acquire(spec)) {
      throw ServingException.badRequest("Expected " + kind + " signature method_name to be tensorflow/serving/" + kind
          + ". Was: " + ModelNames.PREDICT_METHOD + " (CT-Net models serve Predict only)");
    }
  }

  GetModelMetadataResponse metadata(GetModelMetadataRequest request) {
    for (String field : request.getMetadataFieldList()) {
      if (!field.equals("signature_def")) {
        throw ServingException.badRequest("Metadata field " + field + " is not supported; only signature_def is");
      }
    }
    try (ModelRepository.Lease lease = acquire(request.getModelSpec())) {
      SignatureDefMap.Builder defs = SignatureDefMap.newBuilder();
      for (Map.Entry<String, Signature> e : lease.version().predictor().signatures().entrySet()) {
        org.tensorflow.proto.SignatureDef.Builder def = org.tensorflow.proto.SignatureDef.newBuilder()
            .setMethodName(e.getValue().methodName());
        e.getValue().getInputs().forEach((name, d) -> def.putInputs(name, tensorInfo(d)));
        e.getValue().getOutputs().forEach((name, d) -> def.putOutputs(name, tensorInfo(d)));
        defs.putSignatureDef(e.getKey(), def.build().toByteString());
      }
      Any packed = Any.newBuilder().setTypeUrl("type.googleapis.com/tensorflow.serving.SignatureDefMap")
          .setValue(defs.build().toByteString()).build();
      return GetModelMetadataResponse.newBuilder()
          .setModelSpec(answered(request.getModelSpec(), lease.version(), ""))
          .putMetadata("signature_def", packed).build();
    }
  }

  private static TensorInfo tensorInfo(Signature.TensorDescription d) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (long size : d.shape.asArray()) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(size));
    }
    return TensorInfo.newBuilder().setName(d.name).setDtype(d.dataType).setTensorShape(shape).build();
  }

  GetModelStatusResponse status(GetModelStatusRequest request) {
    ModelSpec spec = request.getModelSpec();
    if (spec.getName().isEmpty()) {
      throw ServingException.badRequest("model_spec.name is required");
    }
    Map<Long, ModelRepository.VersionStatus> statuses = repository.status(spec.getName());
    Long only = null;
    if (!spec.getVersionLabel().isEmpty()) {
      only = repository.labels(spec.getName()).get(spec.getVersionLabel());
      if (only == null) {
        throw ServingException.notFound("Unrecognized servable version label: " + spec.getVersionLabel());
      }
    } else if (spec.hasVersion()) {
      only = spec.getVersion().getValue();
      if (!statuses.containsKey(only)) {
        throw ServingException.notFound("Could not find version " + only + " of model " + spec.getName());
      }
    }
    GetModelStatusResponse.Builder response = GetModelStatusResponse.newBuilder();
    List<ModelRepository.VersionStatus> chosen = new ArrayList<>();
    for (ModelRepository.VersionStatus s : statuses.values()) {
      if (only == null || s.version() == only) {
        chosen.add(s);
      }
    }
    for (ModelRepository.VersionStatus s : chosen) {
      ModelVersionStatus.State state;
      try {
        state = ModelVersionStatus.State.valueOf(s.state());
      } catch (IllegalArgumentException e) {
        state = ModelVersionStatus.State.UNKNOWN;
      }
      int code;
      try {
        code = io.grpc.Status.Code.valueOf(s.errorCode()).value(); // tensorflow.error.Code numbers are gRPC's
      } catch (IllegalArgumentException e) {
        code = io.grpc.Status.Code.UNKNOWN.value();
      }
      response.addModelVersionStatus(ModelVersionStatus.newBuilder().setVersion(s.version()).setState(state)
          .setStatus(StatusProto.newBuilder().setErrorCode(code).setErrorMessage(s.errorMessage())));
    }
    return response.build();
  }
}

package org.ctnet.server.grpc;

import com.google.protobuf.Any;
import com.google.protobuf.Int64Value;
import io.grpc.ServerServiceDefinition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Prediction;
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
import org.ctnet.server.inference.ClassIndex;
import org.ctnet.server.inference.Images;
import org.ctnet.server.inference.TfServingOperations;
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
  private final TfServingOperations operations;

  TfServingService(ModelRepository repository, TfServingOperations operations) {
    this.repository = repository;
    this.operations = operations;
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

  private static String version(ModelSpec spec) {
    return spec.hasVersion() ? Long.toString(spec.getVersion().getValue()) : null;
  }

  private static String label(ModelSpec spec) {
    return spec.getVersionLabel().isEmpty() ? null : spec.getVersionLabel();
  }

  private <T> T onVersion(ModelSpec spec, java.util.function.Function<ServedVersion, T> work) {
    return operations.onVersion(spec.getName(), version(spec), label(spec), work);
  }

  private static ModelSpec answered(ModelSpec asked, ServedVersion served, String signature) {
    return ModelSpec.newBuilder().setName(asked.getName()).setVersion(Int64Value.of(served.version()))
        .setSignatureName(signature).build();
  }

  PredictResponse predict(PredictRequest request) {
    ModelSpec spec = request.getModelSpec();
    return onVersion(spec, served -> {
      String signature = TfServingOperations.signature(spec.getSignatureName(), true);
      Map<String, TensorProto> tensors = new LinkedHashMap<>();
      request.getInputsMap().forEach((name, bytes) -> tensors.put(name, TensorProtos.parse(name, bytes)));
      // Input checks ride as an extra output when output_filter names it (clients that do not ask never pay).
      boolean checked = request.getOutputFilterList().contains(ModelNames.OUT_INPUT_CHECK);
      Map<String, TensorProto> outputs = signature.equals(ModelNames.EXPLAIN)
          ? explain(served, tensors) : predict(served, signature, tensors, checked);
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
    });
  }

  private Map<String, TensorProto> predict(ServedVersion served, String signature, Map<String, TensorProto> tensors,
      boolean checked) {
    Images images;
    if (signature.equals(ModelNames.SERVING_DEFAULT)) {
      expectInputs(tensors, List.of(ModelNames.IN_IMAGES), List.of());
      images = pixels(served, tensors.get(ModelNames.IN_IMAGES));
    } else {
      expectInputs(tensors, List.of(ModelNames.IN_IMAGE_BYTES), List.of());
      images = new Images.Encoded(TensorProtos.strings(ModelNames.IN_IMAGE_BYTES, tensors.get(ModelNames.IN_IMAGE_BYTES)));
    }
    TfServingOperations.Predicted p = operations.predict(served, images, checked);
    Map<String, TensorProto> outputs = new LinkedHashMap<>();
    putPrediction(outputs, p.prediction());
    if (p.checks() != null) {
      outputs.put(ModelNames.OUT_INPUT_CHECK, TensorProtos.stringVector(p.checks().stream()
          .map(org.ctnet.graph.check.InputCheck.Result::code).toList()));
    }
    return outputs;
  }

  private Map<String, TensorProto> explain(ServedVersion served, Map<String, TensorProto> tensors) {
    expectInputs(tensors, List.of(ModelNames.IN_IMAGES), List.of(ModelNames.IN_CLASS_INDEX));
    Images.Pixels images = pixels(served, tensors.get(ModelNames.IN_IMAGES));
    TensorProto given = tensors.get(ModelNames.IN_CLASS_INDEX);
    int[] classes = given == null ? ClassIndex.forEach(images.count(), ClassIndex.SERVED_LABEL)
        : TensorProtos.ints(ModelNames.IN_CLASS_INDEX, given, images.count());
    Explanation e = operations.explain(served, images, classes, false);
    Map<String, TensorProto> outputs = new LinkedHashMap<>();
    putPrediction(outputs, e.prediction());
    outputs.put(ModelNames.OUT_TARGET_CLASS, TensorProtos.intTensor(e.targetClass()));
    for (CamMethod m : served.predictor().camMethods()) {
      Explanation.Maps maps = e.maps().get(m);
      outputs.put(m.key() + ModelNames.OUT_HEATMAP_SUFFIX, TensorProtos.floatTensor(maps.heatmap(), maps.height(), maps.width()));
      outputs.put(m.key() + ModelNames.OUT_CAM_SUFFIX, TensorProtos.floatTensor(maps.cam(), maps.camHeight(), maps.camWidth()));
      outputs.put(m.key() + ModelNames.OUT_HAS_EVIDENCE_SUFFIX, TensorProtos.boolTensor(maps.hasEvidence()));
    }
    return outputs;
  }

  private Images.Pixels pixels(ServedVersion served, TensorProto images) {
    int n = operations.imageCount(served.predictor().spec(), TensorProtos.shape(images));
    return new Images.Pixels(TensorProtos.floats(ModelNames.IN_IMAGES, images), n);
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
    return onVersion(spec, served -> {
      throw ServingException.badRequest("Expected " + kind + " signature method_name to be tensorflow/serving/" + kind
          + ". Was: " + ModelNames.PREDICT_METHOD + " (CT-Net models serve Predict only)");
    });
  }

  GetModelMetadataResponse metadata(GetModelMetadataRequest request) {
    for (String field : request.getMetadataFieldList()) {
      if (!field.equals("signature_def")) {
        throw ServingException.badRequest("Metadata field " + field + " is not supported; only signature_def is");
      }
    }
    return onVersion(request.getModelSpec(), served -> {
      SignatureDefMap.Builder defs = SignatureDefMap.newBuilder();
      for (Map.Entry<String, Signature> e : served.predictor().signatures().entrySet()) {
        org.tensorflow.proto.SignatureDef.Builder def = org.tensorflow.proto.SignatureDef.newBuilder()
            .setMethodName(e.getValue().methodName());
        e.getValue().getInputs().forEach((name, d) -> def.putInputs(name, tensorInfo(d)));
        e.getValue().getOutputs().forEach((name, d) -> def.putOutputs(name, tensorInfo(d)));
        defs.putSignatureDef(e.getKey(), def.build().toByteString());
      }
      Any packed = Any.newBuilder().setTypeUrl("type.googleapis.com/tensorflow.serving.SignatureDefMap")
          .setValue(defs.build().toByteString()).build();
      return GetModelMetadataResponse.newBuilder()
          .setModelSpec(answered(request.getModelSpec(), served, ""))
          .putMetadata("signature_def", packed).build();
    });
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
    List<ModelRepository.VersionStatus> chosen = operations.statuses(spec.getName(), version(spec), label(spec));
    GetModelStatusResponse.Builder response = GetModelStatusResponse.newBuilder();
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

package org.ctnet.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict validation of Kubernetes resources against the object model (fabric8's kubernetes-model):
 * a resource is read into its typed class (a wrong type fails there) and every object in it is
 * searched for fields the type does not have (fabric8 keeps them aside in {@code additionalProperties}
 * instead of failing). KServe's InferenceService, which fabric8 does not model, is checked against
 * the v1beta1 fields its API reference documents, its predictor's pod fields through fabric8's PodSpec.
 */
final class KubernetesSchema {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** The typed class of each kind deploy/ uses (apiVersion checked beside it). */
  private static final Map<String, Class<?>> KINDS = Map.of(
      "apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class,
      "v1/Service", io.fabric8.kubernetes.api.model.Service.class,
      "v1/ConfigMap", io.fabric8.kubernetes.api.model.ConfigMap.class,
      "v1/PersistentVolumeClaim", io.fabric8.kubernetes.api.model.PersistentVolumeClaim.class,
      "autoscaling/v2/HorizontalPodAutoscaler", io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler.class,
      "policy/v1/PodDisruptionBudget", io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class,
      "batch/v1/Job", io.fabric8.kubernetes.api.model.batch.v1.Job.class);

  /**
   * KServe v1beta1 PredictorSpec fields beside the inline PodSpec (ComponentExtensionSpec and the
   * model formats), from the KServe API reference.
   */
  private static final Set<String> PREDICTOR_FIELDS = Set.of("minReplicas", "maxReplicas", "scaleTarget", "scaleMetric",
      "scaleMetricType", "containerConcurrency", "timeout", "canaryTrafficPercent", "logger", "batcher", "labels",
      "annotations", "deploymentStrategy", "autoScaling", "model", "workerSpec", "sklearn", "xgboost", "tensorflow",
      "pytorch", "triton", "onnx", "huggingface", "pmml", "lightgbm", "paddle");
  private static final Set<String> INTEGER_FIELDS = Set.of("minReplicas", "maxReplicas", "scaleTarget",
      "containerConcurrency", "timeout", "canaryTrafficPercent");
  private static final Set<String> SCALE_METRICS = Set.of("cpu", "memory", "concurrency", "rps");

  private KubernetesSchema() {}

  /** Every problem found in one resource: unknown fields by path, wrong types, unknown kinds. */
  static List<String> problems(JsonNode resource) {
    String key = resource.path("apiVersion").asText() + "/" + resource.path("kind").asText();
    List<String> out = new ArrayList<>();
    if (key.equals("serving.kserve.io/v1beta1/InferenceService")) {
      inferenceService(resource, out);
      return out;
    }
    Class<?> type = KINDS.get(key);
    if (type == null) {
      out.add("no model for " + key + " (known: " + KINDS.keySet() + ")");
      return out;
    }
    typed(resource, type, key, out);
    return out;
  }

  private static void typed(JsonNode node, Class<?> type, String path, List<String> out) {
    Object value;
    try {
      value = MAPPER.convertValue(node, type);
    } catch (IllegalArgumentException e) {
      out.add(path + ": " + e.getMessage().lines().findFirst().orElse(""));
      return;
    }
    unknownFields(value, path, out);
  }

  private static void inferenceService(JsonNode resource, List<String> out) {
    for (String field : iterable(resource.fieldNames())) {
      if (!Set.of("apiVersion", "kind", "metadata", "spec").contains(field)) {
        out.add("InferenceService." + field + ": unknown field");
      }
    }
    typed(resource.path("metadata"), io.fabric8.kubernetes.api.model.ObjectMeta.class, "InferenceService.metadata", out);
    for (String field : iterable(resource.path("spec").fieldNames())) {
      if (!Set.of("predictor", "transformer", "explainer").contains(field)) {
        out.add("InferenceService.spec." + field + ": unknown field");
      }
    }
    JsonNode predictor = resource.path("spec").path("predictor");
    ObjectNode pod = MAPPER.createObjectNode();
    for (String field : iterable(predictor.fieldNames())) {
      JsonNode v = predictor.get(field);
      String path = "InferenceService.spec.predictor." + field;
      if (INTEGER_FIELDS.contains(field) && !v.isIntegralNumber()) {
        out.add(path + ": must be an integer, got " + v);
      } else if (field.equals("canaryTrafficPercent") && (v.asInt() < 0 || v.asInt() > 100)) {
        out.add(path + ": must be 0..100, got " + v);
      } else if (field.equals("scaleMetric") && !SCALE_METRICS.contains(v.asText())) {
        out.add(path + ": must be one of " + SCALE_METRICS + ", got " + v);
      } else if (!PREDICTOR_FIELDS.contains(field)) {
        pod.set(field, v); // the inline PodSpec
      }
    }
    typed(pod, io.fabric8.kubernetes.api.model.PodSpec.class, "InferenceService.spec.predictor", out);
  }

  private static Iterable<String> iterable(java.util.Iterator<String> names) {
    return () -> names;
  }

  /** Walks a fabric8 object graph and reports every field its types do not have. */
  static void unknownFields(Object value, String path, List<String> out) {
    if (value == null) {
      return;
    }
    if (value instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        unknownFields(item, path + "[" + i++ + "]", out);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknownFields(v, path + "." + k, out));
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getName().equals("getClass")
          || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object child;
      try {
        child = getter.invoke(value);
      } catch (ReflectiveOperationException e) {
        continue;
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (child instanceof Map<?, ?> extra) {
          extra.keySet().forEach(k -> out.add(path + "." + k + ": unknown field"));
        }
      } else {
        String name = getter.getName().substring(3);
        unknownFields(child, path + "." + Character.toLowerCase(name.charAt(0)) + name.substring(1), out);
      }
    }
  }
}

package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.layers.ParameterStore.Parameter;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.spec.AttentionSpec;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;
import org.ctnet.graph.spec.StageSpec;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/** Shapes and parameter counts against numbers computed here, independently of the builders. */
class ArchitectureTest {
  /** The ctnet graph, built once for the tests that only read it (a build takes ~20 s on 2 cores). */
  private static Graph ctnetGraph;
  private static ModelGraph ctnet;

  @BeforeAll
  static void buildCtnet() {
    ctnetGraph = new Graph();
    ctnet = build(ctnetGraph, SpecJson.preset("ctnet"));
  }

  @AfterAll
  static void closeCtnet() {
    ctnetGraph.close();
  }

  // --- independent parameter arithmetic (trainable parameters only) ---
  static long unit(long in, long out, boolean projection) {
    long b = out / 4;
    long p = 2 * in + in * b + 2 * b + 9 * b * b + 2 * b + b * out;
    return projection ? p + in * out : p;
  }

  static long attention(long c, AttentionSpec a) {
    long u = unit(c, c, false);
    long units = 2L * a.preUnits() + a.trunkUnits();
    // hourglass: each level r down + r up units; every level but the bottom has one skip unit
    units += 2L * a.maskUnits() * a.maskDepth() + (a.maskDepth() - 1);
    return units * u + 2 * (2 * c + c * c);
  }

  static long expectedParameters(NetworkSpec s) {
    long c = s.stem().filters();
    long p = (long) s.stem().kernelSize() * s.stem().kernelSize() * s.inputChannels() * c + 2 * c;
    for (StageSpec stage : s.stages()) {
      for (int u = 0; u < stage.residualUnits(); u++) {
        boolean projection = u == 0 && (c != stage.outChannels() || stage.stride() != 1);
        p += unit(c, stage.outChannels(), projection);
        c = stage.outChannels();
      }
      for (int a = 0; a < stage.attentionModules(); a++) {
        p += attention(c, stage.attention());
      }
    }
    return p + 2 * c + c * s.denseOutputs() + s.denseOutputs();
  }

  private static long trainableCount(ModelGraph g) {
    return g.parameters().all().stream().filter(Parameter::trainable).mapToLong(p -> p.shape().size()).sum();
  }

  private static ModelGraph build(Graph graph, NetworkSpec spec) {
    return ModelGraph.build(graph, spec, TrainingSpec.defaults(OptimizerKind.ADAM),
        Preprocessing.forInput(spec.inputHeight(), spec.inputWidth(), spec.inputChannels()));
  }

  @Test
  void theBuiltGraphsHaveTheParameterCountsOfTheArithmeticAndTheReadme() {
    // ctnet and tiny are built and counted: docs/model.md's table is what a user reads, and the
    // independent arithmetic is checked against both graphs. attention56 uses the same blocks in more
    // stages; its 30 M-parameter graph takes minutes to build on 2 cores, so its build is a slow test.
    assertEquals(1_022_818L, trainableCount(ctnet), "ctnet");
    assertEquals(expectedParameters(SpecJson.preset("ctnet")), trainableCount(ctnet), "ctnet against the arithmetic");
    NetworkSpec tiny = SpecJson.preset("tiny");
    try (Graph graph = new Graph()) {
      long built = trainableCount(build(graph, tiny));
      assertEquals(5_610L, built, "tiny");
      assertEquals(expectedParameters(tiny), built, "tiny against the arithmetic");
    }
    assertEquals(29_759_554L, expectedParameters(SpecJson.preset("attention56")));
  }

  @Test
  void theAttention56GraphHasTheParameterCountOfTheArithmetic() {
    // ~10 s since graph building stopped being quadratic (it took minutes and was left out of the suite)
    NetworkSpec spec = SpecJson.preset("attention56");
    try (Graph graph = new Graph()) {
      assertEquals(expectedParameters(spec), trainableCount(build(graph, spec)));
    }
  }

  @Test
  void everyBlockHasTheExpectedOutputShape() {
    NetworkSpec spec = SpecJson.preset("ctnet");
    Map<String, Operand<TFloat32>> features = ctnet.inferenceFeatures();
    assertEquals(spec.featureLayerNames(), List.copyOf(features.keySet()));
    assertEquals(List.of(-1L, 56L, 56L, 32L), dims(features.get("stem")));
    assertEquals(List.of(-1L, 56L, 56L, 80L), dims(features.get("stage1/unit0")));
    assertEquals(List.of(-1L, 56L, 56L, 80L), dims(features.get("stage1/attention0")));
    assertEquals(List.of(-1L, 28L, 28L, 160L), dims(features.get("stage2/unit1")));
    assertEquals(List.of(-1L, 14L, 14L, 320L), dims(features.get("stage3/unit0")));
    assertEquals(List.of(-1L, 7L, 7L, 640L), dims(features.get("features")));
    for (String layer : spec.featureLayerNames()) {
      int[] size = spec.featureSize(layer);
      assertEquals(List.of(-1L, (long) size[0], (long) size[1], (long) spec.featureChannels(layer)),
          dims(features.get(layer)), layer);
    }
  }

  @Test
  void softMaskHasTheTrunkShapeAndNonSquareInputsWork() {
    NetworkSpec spec = SpecJson.preset("tiny").withInputSize(40, 24);
    try (Graph graph = new Graph()) {
      ModelGraph g = build(graph, spec);
      assertEquals(List.of(-1L, 20L, 12L, 16L), dims(g.softMasks().get("stage1/attention0/mask")));
      assertEquals(List.of(-1L, 2L), dims(g.logits()));
    }
  }

  @Test
  void variableNamesAreStable() throws IOException {
    try (Graph graph = new Graph()) {
      ModelGraph g = build(graph, SpecJson.preset("tiny"));
      String names = String.join("\n", g.parameters().all().stream()
          .map(p -> p.variable().op().name() + " " + p.shape()).toList()) + "\n";
      try (InputStream in = getClass().getResourceAsStream("/tiny-variables.txt")) {
        assertNotNull(in, "snapshot resource tiny-variables.txt");
        assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), names,
            "variable names are checkpoint keys: a change breaks restoring exported models");
      }
      for (Parameter p : g.parameters().all()) {
        assertEquals(p.path(), p.variable().op().name());
      }
    }
  }

  @Test
  void exportedGraphStaysSmall() {
    // Per-variable optimizer updates: the graph grows linearly with the variable count.
    long variables = ctnet.parameters().all().size();
    int bytes = ctnetGraph.toGraphDef().getSerializedSize();
    assertTrue(bytes < 2_500_000, "graph def " + bytes + " bytes for " + variables + " variables");
  }

  private static List<Long> dims(Operand<?> x) {
    return java.util.Arrays.stream(x.shape().asArray()).boxed().toList();
  }
}

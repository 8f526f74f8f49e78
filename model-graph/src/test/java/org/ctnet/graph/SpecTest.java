package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.ctnet.graph.spec.AttentionSpec;
import org.ctnet.graph.spec.HeadKind;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;
import org.ctnet.graph.spec.StageSpec;
import org.ctnet.graph.spec.StemSpec;
import org.junit.jupiter.api.Test;

class SpecTest {
  private static NetworkSpec tiny() {
    return SpecJson.preset("tiny");
  }

  @Test
  void presetsLoadAndRoundTripThroughJson() {
    for (String name : SpecJson.PRESETS) {
      NetworkSpec spec = SpecJson.preset(name);
      assertEquals(name, spec.name());
      assertEquals(spec, SpecJson.fromJson(SpecJson.toJson(spec)));
    }
  }

  @Test
  void ctnetIsThePapersConfiguration() {
    NetworkSpec ctnet = SpecJson.preset("ctnet");
    long modules = ctnet.stages().stream().mapToInt(StageSpec::attentionModules).sum();
    assertEquals(1, modules, "one attention module unit");
    AttentionSpec a = ctnet.stages().get(0).attention();
    assertEquals(1, a.preUnits());
    assertEquals(2, a.trunkUnits());
    assertEquals(1, a.maskUnits());
    assertEquals(1, ctnet.inputChannels());
    assertEquals("features", ctnet.effectiveCamLayer());
    assertEquals("stage1/attention0", ctnet.withCamLayer("stage1/attention0").effectiveCamLayer());
  }

  @Test
  void unknownPresetNamesTheChoices() {
    var e = assertThrows(IllegalArgumentException.class, () -> SpecJson.preset("resnet"));
    assertTrue(e.getMessage().contains("'resnet'") && e.getMessage().contains("ctnet"), e.getMessage());
  }

  private static void assertRejected(String fieldAndValue, Runnable build) {
    var e = assertThrows(IllegalArgumentException.class, build::run);
    assertTrue(e.getMessage().contains(fieldAndValue), "message should name " + fieldAndValue + ": " + e.getMessage());
  }

  @Test
  void badSpecsFailAtConstructionNamingFieldAndValue() {
    NetworkSpec t = tiny();
    assertRejected("inputChannels must be > 0, got 0", () -> new NetworkSpec(t.name(), 32, 32, 0, t.stem(), t.stages(),
        t.head(), 2, 0, 0, 0.9, 1e-3, "", 1));
    assertRejected("attention.p (preUnits) must be >= 0, got -1", () -> new AttentionSpec(-1, 2, 1, 2));
    assertRejected("attention.t (trunkUnits) must be > 0, got 0", () -> new AttentionSpec(1, 0, 1, 2));
    assertRejected("stem.filters must be > 0, got 0", () -> new StemSpec(0, 3, 1, false, 1));
    assertRejected("stage.stride must be 1 or 2, got 3", () -> new StageSpec(16, 3, 1, 0, null));
    assertRejected("stage.outChannels must be divisible by 4", () -> new StageSpec(18, 1, 1, 0, null));
    assertRejected("maskDepth=2 is too deep for the 4x4 feature map", () -> t.withInputSize(8, 8));
    assertRejected("numClasses must be 2 for the SIGMOID head, got 3", () -> new NetworkSpec(t.name(), 32, 32, 1,
        t.stem(), t.stages(), HeadKind.SIGMOID, 3, 0, 0, 0.9, 1e-3, "", 1));
    assertRejected("dropout must be in [0.0, 1.0), got 1.0", () -> new NetworkSpec(t.name(), 32, 32, 1, t.stem(),
        t.stages(), t.head(), 2, 1.0, 0, 0.9, 1e-3, "", 1));
    assertRejected("got 'nowhere'", () -> t.withCamLayer("nowhere"));
    assertRejected("stages must not be empty", () -> new NetworkSpec(t.name(), 32, 32, 1, t.stem(), List.of(),
        t.head(), 2, 0, 0, 0.9, 1e-3, "", 1));
  }

  @Test
  void jsonWithBadValuesOrUnknownFieldsIsRejectedClearly() {
    String json = SpecJson.toJson(tiny());
    assertRejected("stem.filters must be > 0, got 0",
        () -> SpecJson.fromJson(json.replace("\"filters\" : 8", "\"filters\" : 0")));
    var e = assertThrows(IllegalArgumentException.class,
        () -> SpecJson.fromJson(json.replace("\"seed\"", "\"colour\" : 1, \"seed\"")));
    assertTrue(e.getMessage().contains("colour"), e.getMessage());
  }

  @Test
  void featureLayersAreNamedInNetworkOrder() {
    assertEquals(List.of("stem", "stage1/unit0", "stage1/attention0", "stage2/unit0", "features"),
        tiny().featureLayerNames());
    assertArrayEquals(new int[] {16, 16}, tiny().featureSize("stage1/attention0"));
    assertArrayEquals(new int[] {8, 8}, tiny().featureSize("features"));
  }
}

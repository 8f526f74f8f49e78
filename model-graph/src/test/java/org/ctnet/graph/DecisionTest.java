package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.spec.SpecJson;
import org.junit.jupiter.api.Test;

/** The decision rule every client shares (server, predict, reports): no model needed. */
class DecisionTest {
  @Test
  void aProbabilityAtTheThresholdIsPositiveAndTheLabelFollowsTheRule() {
    ModelAssets assets = ModelAssets.defaults(SpecJson.preset("tiny")).withLabels(List.of("non-covid", "covid"))
        .withDecision(new ModelAssets.Decision(0.3, "sensitivity >= 0.95 on validation"));
    assertTrue(assets.decision().isPositive(0.3), "at the threshold");
    assertFalse(assets.decision().isPositive(Math.nextDown(0.3)), "just under");
    assertEquals("covid", assets.decisionLabel(0.3));
    assertEquals("non-covid", assets.decisionLabel(0.29));
    assertEquals(1, assets.positiveClass(), "the last label is the positive class");
    assertEquals("non-covid", assets.withLabels(List.of("non-covid", "covid")).decisionLabel(0.0));
  }

  @Test
  void thresholdsOutsideZeroToOneAreRefused() {
    for (double bad : new double[] {-0.01, 1.01, Double.NaN}) {
      assertThrows(IllegalArgumentException.class, () -> new ModelAssets.Decision(bad, "x"), Double.toString(bad));
    }
    assertEquals(0.5, ModelAssets.Decision.argmax().threshold());
  }
}

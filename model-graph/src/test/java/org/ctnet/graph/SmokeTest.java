package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.SyntheticImages;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void tinyModelPredictsTrainsAndExplains() {
    try (ModelSession model = TestModels.tiny()) {
      SyntheticImages.Batch b = SyntheticImages.blobs(4, 32, 1);
      var p = model.predict(b.pixels(), 4);
      assertEquals(4, p.size());
      assertEquals(1.0, p.probabilities()[0][0] + p.probabilities()[0][1], 1e-5);
      var step = model.trainStep(b.pixels(), 4, b.labels(), 0.01f, null);
      assertTrue(step.loss() > 0);
      var e = model.explain(b.pixels(), 4, new int[] {-1, -1, 1, 0});
      assertEquals(32, e.maps().values().iterator().next().height());
    }
  }
}

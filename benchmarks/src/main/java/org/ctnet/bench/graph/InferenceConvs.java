package org.ctnet.bench.graph;

import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.ModelGraph;
import org.ctnet.graph.preprocess.Preprocessing;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;

/** The convolutions of a spec's inference path, read from the graph model-graph builds (not re-derived here). */
final class InferenceConvs {
  private static final String INFERENCE_SCOPE = "infer/";

  record Conv(String name, long height, long width, long in, long out, long kernel, long stride) {}

  private InferenceConvs() {}

  static List<Conv> of(NetworkSpec spec) {
    List<Conv> convs = new ArrayList<>();
    try (Graph g = new Graph()) {
      ModelGraph.build(g, spec, TrainingSpec.defaults(OptimizerKind.ADAM),
          Preprocessing.forInput(spec.inputHeight(), spec.inputWidth(), spec.inputChannels()));
      g.operations().forEachRemaining(op -> {
        if (op.type().equals("Conv2D") && op.name().startsWith(INFERENCE_SCOPE)) {
          GraphOperation conv = (GraphOperation) op;
          Shape in = conv.input(0).shape();
          Shape filter = conv.input(1).shape();
          convs.add(new Conv(op.name(), in.get(1), in.get(2), in.get(3), filter.get(3), filter.get(0),
              conv.attributes().getAttrIntList("strides")[1]));
        }
      });
    }
    return convs;
  }
}

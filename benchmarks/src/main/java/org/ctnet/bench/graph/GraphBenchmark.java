package org.ctnet.bench.graph;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.ctnet.graph.ModelGraph;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.graph.runtime.TensorIo;
import org.ctnet.graph.spec.NetworkCost;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;
import org.ctnet.graph.train.OptimizerKind;
import org.ctnet.graph.train.TrainingSpec;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Prints images/s and achieved GFLOP/s for forward, forward + Grad-CAM++ and a training step
 * (fp32 and bf16), per preset and batch size, with the machine's dense matmul GFLOP/s through
 * TensorFlow measured in the same run for scale. Configurations are timed in interleaved rounds
 * (this machine has spells of running ~1.7× slower) after warm-up; the median round is reported.
 *
 * <p>Usage: {@code ./dev bench [--presets ctnet,attention56] [--rounds 7]}
 */
public final class GraphBenchmark {
  private interface Work {
    void run();
  }

  private record Config(String name, int batch, double flopsPerCall, Work work) {}

  public static void main(String[] args) throws Exception {
    List<String> presets = List.of("ctnet", "attention56");
    int rounds = 7;
    boolean profile = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--presets" -> presets = Arrays.asList(args[++i].split(","));
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--profile" -> profile = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (use --presets, --rounds, --profile)");
      }
    }
    System.out.printf("CT-Net graph benchmark — %d cores, %s%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name") + " " + Runtime.version());
    try (MatMul matmul = new MatMul(1024)) {
      for (String preset : presets) {
        NetworkSpec spec = SpecJson.preset(preset);
        double forward = NetworkCost.forwardFlops(spec);
        System.out.printf("%n%s: %,d trainable parameters, %.3f GFLOP per 224x224x1 image (forward, 2 x MAC)%n",
            preset, parameters(spec), forward / 1e9);
        try (ModelSession fp32 = ModelSession.create(ModelAssets.defaults(spec), TrainingSpec.defaults(OptimizerKind.ADAM),
                SessionOptions.DEFAULT);
            ModelSession bf16 = ModelSession.create(ModelAssets.defaults(spec), TrainingSpec.defaults(OptimizerKind.ADAM),
                new SessionOptions(0, 0, true));
            ModelSession xla = ModelSession.create(ModelAssets.defaults(spec), TrainingSpec.defaults(OptimizerKind.ADAM),
                new SessionOptions(0, 0, false, true))) {
          List<Config> configs = new ArrayList<>();
          configs.add(new Config("matmul 1024^3 (scale)", 1, matmul.flops(), matmul::run));
          for (int batch : new int[] {1, 8}) {
            float[] images = random(batch * spec.inputHeight() * spec.inputWidth(), batch);
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
              labels[i] = i % 2;
            }
            int[] classes = new int[batch];
            Arrays.fill(classes, 1);
            configs.add(new Config("forward", batch, forward * batch, () -> fp32.predict(images, batch)));
            // On CPU the session's JIT level clusters nothing unless TF_XLA_FLAGS=--tf_xla_cpu_global_jit is set
            // before the process starts (docs/benchmarks.md, "XLA").
            configs.add(new Config("forward, XLA auto-clustering", batch, forward * batch, () -> xla.predict(images, batch)));
            configs.add(new Config("forward bf16 (oneDNN AMP)", batch, forward * batch, () -> bf16.predict(images, batch)));
            configs.add(new Config("forward + Grad-CAM++", batch, forward * batch, () -> gradCamPlusPlus(fp32, images, batch, classes)));
            if (batch == 8 || preset.equals("ctnet")) {
              configs.add(new Config("train step fp32", batch, 3 * forward * batch,
                  () -> fp32.trainStep(images, batch, labels, 1e-4f, null)));
              configs.add(new Config("train step bf16", batch, 3 * forward * batch,
                  () -> bf16.trainStep(images, batch, labels, 1e-4f, null)));
            }
          }
          run(configs, preset.equals("attention56") ? Math.max(3, rounds / 2) : rounds);
          if (profile) {
            profile(fp32, spec);
          }
        }
      }
    }
  }

  /** Per-op-type time of the forward pass (batch 1 and 8) and of a training step (batch 8). */
  private static void profile(ModelSession model, NetworkSpec spec) {
    ModelGraph g = model.modelGraph();
    for (int batch : new int[] {1, 8}) {
      int[] labels = new int[batch];
      for (int i = 0; i < batch; i++) {
        labels[i] = i % 2;
      }
      try (TFloat32 images = TensorIo.floats(random(batch * spec.inputHeight() * spec.inputWidth(), batch), batch,
              spec.inputHeight(), spec.inputWidth(), 1);
          TInt32 y = TensorIo.ints(labels);
          TFloat32 lr = TensorIo.scalar(1e-4f)) {
        OpProfile.print("forward, batch " + batch, model.session().graph(), () -> model.session().runner()
            .feed(g.images(), images).fetch(g.probabilities()), 10, 12);
        if (batch == 8) {
          OpProfile.print("train step fp32, batch 8", model.session().graph(), () -> model.session().runner()
              .feed(ModelNames.OP_IMAGES, images).feed(ModelNames.OP_LABELS, y).feed(ModelNames.OP_LEARNING_RATE, lr)
              .fetch(ModelNames.OP_LOSS).fetch(ModelNames.OP_TRAIN_LOGITS), 5, 15);
        }
      }
    }
  }

  /** Only what :explain needs for Grad-CAM++: probabilities and its heatmap. */
  private static void gradCamPlusPlus(ModelSession model, float[] images, int n, int[] classes) {
    ModelGraph g = model.modelGraph();
    try (TFloat32 input = TensorIo.floats(images, n, g.spec().inputHeight(), g.spec().inputWidth(), 1);
        TInt32 cls = TensorIo.ints(classes);
        Result r = model.session().runner().feed(g.images(), input).feed(g.classIndex(), cls)
            .fetch(g.probabilities()).fetch(g.cam().outputs().get(CamMethod.GRAD_CAM_PLUS_PLUS).heatmap()).run()) {
      r.get(1);
    }
  }

  private static void run(List<Config> configs, int rounds) {
    Map<Config, List<Double>> times = new LinkedHashMap<>();
    for (Config c : configs) {
      times.put(c, new ArrayList<>());
      for (int i = 0; i < 3; i++) {
        c.work().run(); // warm-up: the first run of a fetch set carries one-off graph optimisation
      }
    }
    for (int round = 0; round < rounds; round++) {
      for (Config c : configs) {
        int reps = c.batch() == 1 ? 20 : 5;
        long start = System.nanoTime();
        for (int i = 0; i < reps; i++) {
          c.work().run();
        }
        times.get(c).add((System.nanoTime() - start) / 1e6 / reps);
      }
    }
    // Each configuration's GFLOP/s as a fraction of the matmul's in the same round (this machine's speed
    // drifts by tens of percent between minutes): comparable across machines.
    Config matmul = configs.get(0);
    System.out.printf("%-26s %5s %10s %10s %10s %10s %12s%n", "configuration", "batch", "ms/call", "min ms", "images/s",
        "GFLOP/s", "of matmul");
    for (var e : times.entrySet()) {
      Config c = e.getKey();
      double[] t = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
      double median = t[t.length / 2];
      double[] fractions = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        fractions[round] = (c.flopsPerCall() / e.getValue().get(round)) / (matmul.flopsPerCall() / times.get(matmul).get(round));
      }
      Arrays.sort(fractions);
      System.out.printf("%-26s %5d %10.2f %10.2f %10.1f %10.1f %5.0f%% %2.0f-%2.0f%n", c.name(), c.batch(), median, t[0],
          c.name().startsWith("matmul") ? Double.NaN : c.batch() * 1000 / median, c.flopsPerCall() / median / 1e6,
          100 * fractions[rounds / 2], 100 * fractions[0], 100 * fractions[rounds - 1]);
    }
  }

  private static long parameters(NetworkSpec spec) {
    try (Graph graph = new Graph()) {
      ModelGraph g = ModelGraph.build(graph, spec, TrainingSpec.defaults(OptimizerKind.ADAM),
          org.ctnet.graph.preprocess.Preprocessing.forInput(spec.inputHeight(), spec.inputWidth(), spec.inputChannels()));
      return g.parameters().all().stream().filter(p -> p.trainable()).mapToLong(p -> p.shape().size()).sum();
    }
  }

  private static float[] random(int size, long seed) {
    Random r = new Random(seed);
    float[] out = new float[size];
    for (int i = 0; i < size; i++) {
      out[i] = r.nextFloat();
    }
    return out;
  }

  /** A dense n×n×n matmul in its own graph: the machine's reachable GFLOP/s for scale. */
  private static final class MatMul implements AutoCloseable {
    private final Graph graph = new Graph();
    private final Session session;
    private final org.tensorflow.Operand<TFloat32> product;
    private final int n;

    MatMul(int n) {
      this.n = n;
      Ops tf = Ops.create(graph);
      var a = tf.random.statelessRandomNormal(tf.constant(new long[] {n, n}), tf.constant(new long[] {1, 2}));
      var b = tf.variable(tf.random.statelessRandomNormal(tf.constant(new long[] {n, n}), tf.constant(new long[] {3, 4})));
      var av = tf.variable(a);
      product = tf.sum(tf.linalg.matMul(av, b), tf.constant(new int[] {0, 1}));
      session = new Session(graph);
      session.initialize();
    }

    double flops() {
      return 2.0 * n * n * n;
    }

    void run() {
      try (Result r = session.runner().fetch(product).run()) {
        r.get(0);
      }
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }
}

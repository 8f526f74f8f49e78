package org.ctnet.bench.graph;

import java.nio.file.Path;
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
 * (this machine has spells of running ~1.7× slower) after warm-up; the median round is reported. Where a PyTorch
 * peer of the same network is on the machine ({@link Peers}), its rounds interleave with ours and each of our
 * forward and training rows is printed as a ratio of GFLOP/s against the peer's best variant, round by round.
 *
 * <p>Usage: {@code ./dev bench [--presets ctnet,attention56,path/to/model.json] [--rounds 7]
 * [--peers python,libtorch|none]}
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
    List<String> peerKinds = Peers.KINDS;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--presets" -> presets = Arrays.asList(args[++i].split(","));
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--profile" -> profile = true;
        case "--peers" -> {
          String value = args[++i];
          peerKinds = value.equals("none") ? List.of() : Arrays.asList(value.split(","));
        }
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + " (use --presets, --rounds, --profile, --peers)");
      }
    }
    System.out.printf("CT-Net graph benchmark — %d cores, %s%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.vm.name") + " " + Runtime.version());
    try (MatMul matmul = new MatMul(1024)) {
      for (String preset : presets) {
        // A preset's name, or a spec file (a shipped model's assets.extra/model.json: the network as served).
        NetworkSpec spec = preset.endsWith(".json") ? SpecJson.read(Path.of(preset)) : SpecJson.preset(preset);
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
          List<PeerProcess> peers = Peers.start(peerKinds, spec, Path.of("target", "bench-peers"), System.out);
          try {
            run(configs, preset.equals("attention56") ? Math.max(3, rounds / 2) : rounds, peers);
          } finally {
            peers.forEach(PeerProcess::close);
          }
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

  private static void run(List<Config> configs, int rounds, List<PeerProcess> peers) {
    Map<Config, List<Double>> times = new LinkedHashMap<>();
    for (Config c : configs) {
      times.put(c, new ArrayList<>());
      for (int i = 0; i < 3; i++) {
        c.work().run(); // warm-up: the first run of a fetch set carries one-off graph optimisation
      }
    }
    Map<PeerProcess, List<Map<String, Double>>> peerTimes = new LinkedHashMap<>();
    peers.forEach(p -> peerTimes.put(p, new ArrayList<>()));
    for (int round = 0; round < rounds; round++) {
      for (Config c : configs) {
        int reps = c.batch() == 1 ? 20 : 5;
        long start = System.nanoTime();
        for (int i = 0; i < reps; i++) {
          c.work().run();
        }
        times.get(c).add((System.nanoTime() - start) / 1e6 / reps);
      }
      peerTimes.forEach((peer, list) -> list.add(peer.round()));
    }
    // Each configuration's GFLOP/s as a fraction of the matmul's in the same round (this machine's speed
    // drifts by tens of percent between minutes): comparable across machines.
    Config matmul = configs.get(0);
    double[] matmulRate = new double[rounds];
    for (int round = 0; round < rounds; round++) {
      matmulRate[round] = matmul.flopsPerCall() / times.get(matmul).get(round);
    }
    printHeader();
    for (var e : times.entrySet()) {
      Config c = e.getKey();
      printRow(c.name(), c.batch(), c.flopsPerCall(), e.getValue(), matmulRate, !c.name().startsWith("matmul"));
    }
    peerTimes.forEach((peer, list) -> printPeer(peer, list, times, matmulRate));
  }

  /** The peer's rows (fractions of our matmul in the same round) and our GFLOP/s against its best variant. */
  private static void printPeer(PeerProcess peer, List<Map<String, Double>> rounds, Map<Config, List<Double>> ours,
      double[] matmulRate) {
    System.out.printf("%npeer %s (%s), the same rounds; \"of matmul\" is TensorFlow's matmul above:%n", peer.label(),
        peer.version());
    printHeader();
    peer.flops().forEach((key, flops) -> printRow(key.replaceAll("/\\d+$", ""), batchOf(key), flops,
        rounds.stream().map(r -> r.get(key)).toList(), matmulRate, !key.equals("matmul")));
    System.out.println("ours against this peer, GFLOP/s ratio round by round (median, range), peer at its best variant:");
    for (var e : ours.entrySet()) {
      Config c = e.getKey();
      String kind = c.name().equals("forward") ? "forward" : c.name().equals("train step fp32") ? "train step" : null;
      List<String> keys = kind == null ? List.of() : peer.flops().keySet().stream()
          .filter(k -> k.startsWith(kind) && batchOf(k) == c.batch()).toList();
      if (keys.isEmpty()) {
        continue;
      }
      double[] ratios = new double[rounds.size()];
      for (int r = 0; r < ratios.length; r++) {
        int round = r;
        double best = keys.stream().mapToDouble(k -> peer.flops().get(k) / rounds.get(round).get(k)).max().orElseThrow();
        ratios[r] = (c.flopsPerCall() / e.getValue().get(r)) / best;
      }
      Arrays.sort(ratios);
      System.out.printf("  %-22s batch %d: %.2fx (%.2f-%.2f)%n", c.name(), c.batch(), ratios[ratios.length / 2], ratios[0],
          ratios[ratios.length - 1]);
    }
  }

  private static int batchOf(String peerKey) {
    int slash = peerKey.lastIndexOf('/');
    return slash < 0 ? 1 : Integer.parseInt(peerKey.substring(slash + 1));
  }

  private static void printHeader() {
    System.out.printf("%-28s %5s %10s %10s %10s %10s %12s%n", "configuration", "batch", "ms/call", "min ms", "images/s",
        "GFLOP/s", "of matmul");
  }

  private static void printRow(String name, int batch, double flopsPerCall, List<Double> msPerRound, double[] matmulRate,
      boolean images) {
    double[] t = msPerRound.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double median = t[t.length / 2];
    double[] fractions = new double[msPerRound.size()];
    for (int round = 0; round < fractions.length; round++) {
      fractions[round] = (flopsPerCall / msPerRound.get(round)) / matmulRate[round];
    }
    Arrays.sort(fractions);
    System.out.printf("%-28s %5d %10.2f %10.2f %10.1f %10.1f %5.0f%% %2.0f-%2.0f%n", name, batch, median, t[0],
        images ? batch * 1000 / median : Double.NaN, flopsPerCall / median / 1e6, 100 * fractions[fractions.length / 2],
        100 * fractions[0], 100 * fractions[fractions.length - 1]);
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

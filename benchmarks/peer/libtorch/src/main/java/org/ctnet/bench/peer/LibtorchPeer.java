package org.ctnet.bench.peer;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The libtorch peer: the TorchScript network written by {@code torch_ctnet.py --export}, run on PyTorch's own
 * CPU build through DJL, timed in rounds on request. Same protocol as the Python peer (one JSON line per round);
 * flops come from the command line, as the exporter counted them.
 *
 * <p>Usage: {@code java -jar libtorch-peer.jar MODEL.pt FORWARD_FLOPS THREADS} (MODEL-frozen.pt beside it)
 */
public final class LibtorchPeer {
  private interface Work {
    void run();
  }

  private record Config(Work work, int reps, double flops) {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: LibtorchPeer MODEL.pt FORWARD_FLOPS THREADS");
      System.exit(2);
    }
    Path modelFile = Path.of(args[0]).toAbsolutePath();
    double flops = Double.parseDouble(args[1]);
    String threads = args[2];
    System.setProperty("ai.djl.offline", "true"); // natives come from the jar on the classpath, never a download
    System.setProperty("ai.djl.pytorch.num_threads", threads);
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    ObjectMapper json = new ObjectMapper();
    Engine engine = Engine.getEngine("PyTorch");
    try (NDManager manager = NDManager.newBaseManager();
        Model inference = Model.newInstance("ctnet-peer", "PyTorch");
        Model frozen = Model.newInstance("ctnet-peer-frozen", "PyTorch");
        Model training = Model.newInstance("ctnet-peer-train", "PyTorch")) {
      inference.load(modelFile.getParent(), fileStem(modelFile));
      frozen.load(modelFile.getParent(), fileStem(modelFile) + "-frozen");
      training.load(modelFile.getParent(), fileStem(modelFile), Map.of("trainParam", "true"));
      Block block = inference.getBlock();
      Block frozenBlock = frozen.getBlock();
      ParameterStore store = new ParameterStore(manager, false);
      NDArray one = manager.randomUniform(0, 1, new Shape(1, 1, 224, 224));
      NDArray eight = manager.randomUniform(0, 1, new Shape(8, 1, 224, 224));
      NDArray labels = manager.create(new int[] {0, 1, 0, 1, 0, 1, 0, 1}).toType(DataType.INT64, false);
      NDArray a = manager.randomNormal(new Shape(1024, 1024));
      NDArray b = manager.randomNormal(new Shape(1024, 1024));
      try (Trainer trainer = training.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
          .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(1e-4f)).build()))) {
        Map<String, Config> configs = new LinkedHashMap<>();
        configs.put("matmul", new Config(() -> a.matMul(b).close(), 5, 2.0 * 1024 * 1024 * 1024));
        configs.put("forward/1", new Config(() -> block.forward(store, new NDList(one), false).close(), 20, flops));
        configs.put("forward/8", new Config(() -> block.forward(store, new NDList(eight), false).close(), 5, 8 * flops));
        configs.put("forward torchscript-frozen/1",
            new Config(() -> frozenBlock.forward(store, new NDList(one), false).close(), 20, flops));
        configs.put("forward torchscript-frozen/8",
            new Config(() -> frozenBlock.forward(store, new NDList(eight), false).close(), 5, 8 * flops));
        configs.put("train step/8", new Config(() -> trainStep(trainer, eight, labels), 3, 3 * 8 * flops));
        for (Config c : configs.values()) {
          for (int i = 0; i < 3; i++) {
            c.work().run();
          }
        }
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("ready", true);
        ready.put("torch", "libtorch " + engine.getVersion() + " (DJL " + Engine.getDjlVersion() + ")");
        ready.put("threads", Integer.parseInt(threads));
        ready.put("forward_flops", flops);
        Map<String, Double> flopsByName = new LinkedHashMap<>();
        configs.forEach((name, c) -> flopsByName.put(name, c.flops()));
        ready.put("flops", flopsByName);
        out.println(json.writeValueAsString(ready));

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && line.strip().equals("round"); ) {
          Map<String, Double> times = new LinkedHashMap<>();
          configs.forEach((name, c) -> {
            long start = System.nanoTime();
            for (int i = 0; i < c.reps(); i++) {
              c.work().run();
            }
            times.put(name, (System.nanoTime() - start) / 1e6 / c.reps());
          });
          out.println(json.writeValueAsString(Map.of("round", times)));
        }
      }
    }
  }

  /** Forward in training mode, softmax cross-entropy, backward, one Adam update. */
  private static void trainStep(Trainer trainer, NDArray images, NDArray labels) {
    try (GradientCollector collector = trainer.newGradientCollector()) {
      NDList logits = trainer.forward(new NDList(images));
      NDArray loss = trainer.getLoss().evaluate(new NDList(labels), logits);
      collector.backward(loss);
      loss.close();
      logits.close();
    }
    trainer.step();
  }

  private static String fileStem(Path file) {
    String name = file.getFileName().toString();
    return name.endsWith(".pt") ? name.substring(0, name.length() - 3) : name;
  }
}

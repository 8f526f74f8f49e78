package org.ctnet.graph.runtime;

import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.RewriterConfig;

/**
 * Session configuration in one place.
 *
 * @param intraOpThreads threads inside one op (0 = TensorFlow's default: all cores). The pool is
 *     process-wide and fixed by the first session created in the JVM.
 * @param interOpThreads threads running independent ops (0 = default)
 * @param bf16MixedPrecision oneDNN bfloat16 auto mixed precision (faster training on CPUs with
 *     AVX512_BF16; keep serving in fp32)
 * @param xlaJit XLA auto-clustering of the graph (global JIT level ON_1). On CPU it takes effect only with
 *     {@code TF_XLA_FLAGS=--tf_xla_cpu_global_jit} in the process's environment, and there it was measured
 *     slower (docs/benchmarks.md, "XLA"): off by default
 */
public record SessionOptions(int intraOpThreads, int interOpThreads, boolean bf16MixedPrecision, boolean xlaJit) {
  public static final SessionOptions DEFAULT = new SessionOptions(0, 0, false);

  public SessionOptions(int intraOpThreads, int interOpThreads, boolean bf16MixedPrecision) {
    this(intraOpThreads, interOpThreads, bf16MixedPrecision, false);
  }

  public SessionOptions {
    if (intraOpThreads < 0 || interOpThreads < 0) {
      throw new IllegalArgumentException(
          "thread counts must be >= 0, got intra=" + intraOpThreads + " inter=" + interOpThreads);
    }
  }

  public ConfigProto toConfigProto() {
    RewriterConfig.Builder rewriter = RewriterConfig.newBuilder();
    if (bf16MixedPrecision) {
      rewriter.setAutoMixedPrecisionOnednnBfloat16(RewriterConfig.Toggle.ON);
    }
    return ConfigProto.newBuilder()
        .setIntraOpParallelismThreads(intraOpThreads)
        .setInterOpParallelismThreads(interOpThreads)
        .setAllowSoftPlacement(true)
        // Grow GPU memory on demand so several models share one device; ignored on CPU.
        .setGpuOptions(GPUOptions.newBuilder().setAllowGrowth(true))
        .setGraphOptions(GraphOptions.newBuilder().setRewriteOptions(rewriter)
            .setOptimizerOptions(org.tensorflow.proto.OptimizerOptions.newBuilder().setGlobalJitLevel(xlaJit
                ? org.tensorflow.proto.OptimizerOptions.GlobalJitLevel.ON_1
                : org.tensorflow.proto.OptimizerOptions.GlobalJitLevel.DEFAULT)))
        .build();
  }
}

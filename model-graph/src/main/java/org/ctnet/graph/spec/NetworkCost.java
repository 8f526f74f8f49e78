package org.ctnet.graph.spec;

/**
 * Forward-pass cost of a spec: FLOPs counted as 2 × multiply-adds of the convolutions and the dense
 * layer (batch norm, ReLU, pooling and resizing are ignored: they are a few percent).
 */
public final class NetworkCost {
  private NetworkCost() {}

  public static double forwardFlops(NetworkSpec s) {
    double flops = 0;
    int h = NetworkSpec.ceilDiv(s.stem().pooledSize(s.inputHeight()), s.stem().stride());
    int w = NetworkSpec.ceilDiv(s.stem().pooledSize(s.inputWidth()), s.stem().stride());
    flops += 2.0 * h * w * s.stem().kernelSize() * s.stem().kernelSize() * s.inputChannels() * s.stem().filters();
    if (s.stem().maxPool()) {
      h = NetworkSpec.ceilDiv(h, 2);
      w = NetworkSpec.ceilDiv(w, 2);
    }
    int c = s.stem().filters();
    for (StageSpec stage : s.stages()) {
      for (int u = 0; u < stage.residualUnits(); u++) {
        int stride = u == 0 ? stage.stride() : 1;
        flops += unit(h, w, c, stage.outChannels(), stride);
        h = NetworkSpec.ceilDiv(h, stride);
        w = NetworkSpec.ceilDiv(w, stride);
        c = stage.outChannels();
      }
      for (int a = 0; a < stage.attentionModules(); a++) {
        flops += attention(h, w, c, stage.attention());
      }
    }
    return flops + 2.0 * c * s.denseOutputs();
  }

  private static double unit(int h, int w, int in, int out, int stride) {
    int b = out / 4;
    int ho = NetworkSpec.ceilDiv(h, stride);
    int wo = NetworkSpec.ceilDiv(w, stride);
    double f = 2.0 * ((double) h * w * in * b + (double) ho * wo * 9 * b * b + (double) ho * wo * b * out);
    if (in != out || stride != 1) {
      f += 2.0 * ho * wo * in * out;
    }
    return f;
  }

  private static double attention(int h, int w, int c, AttentionSpec a) {
    double f = (2.0 * a.preUnits() + a.trunkUnits()) * unit(h, w, c, c, 1);
    f += hourglass(h, w, c, a.maskUnits(), a.maskDepth());
    return f + 2 * 2.0 * h * w * c * c;
  }

  private static double hourglass(int h, int w, int c, int r, int depth) {
    int hh = NetworkSpec.ceilDiv(h, 2);
    int ww = NetworkSpec.ceilDiv(w, 2);
    double f = 2.0 * r * unit(hh, ww, c, c, 1);
    if (depth > 1) {
      f += unit(hh, ww, c, c, 1) + hourglass(hh, ww, c, r, depth - 1);
    }
    return f;
  }
}

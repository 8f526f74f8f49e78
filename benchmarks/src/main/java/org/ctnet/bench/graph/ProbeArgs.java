package org.ctnet.bench.graph;

/** The int8 probes' command line: {@code [--preset ctnet] [--batch 8] [--rounds 5]}. */
record ProbeArgs(String preset, int batch, int rounds) {
  static ProbeArgs parse(String[] args) {
    String preset = "ctnet";
    int batch = 8;
    int rounds = 5;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--preset" -> preset = args[++i];
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (use --preset, --batch, --rounds)");
      }
    }
    return new ProbeArgs(preset, batch, rounds);
  }
}

package org.ctnet.trainer.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.preprocess.Framing;
import org.ctnet.graph.spec.HeadKind;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.graph.spec.SpecJson;
import picocli.CommandLine.Option;

/** Which network to build for a new model. */
public final class NetworkOptions {
  /** The network trained when no spec or preset is named. */
  static final String DEFAULT_PRESET = "ctnet";

  @Option(names = "--preset", defaultValue = DEFAULT_PRESET, description = "Network preset: ctnet, attention56, tiny (default ${DEFAULT-VALUE}).")
  String preset;

  @Option(names = "--spec", paramLabel = "FILE", description = "Network spec JSON (overrides --preset).")
  Path specFile;

  @Option(names = "--head", description = "softmax (2 logits, cross-entropy) or sigmoid (1 logit, the paper's BCE).")
  String head;

  @Option(names = "--cam-layer", paramLabel = "NAME",
      description = "Layer the explain signature explains and --lesion-masks guides, e.g. stage3/unit1 (default: the spec's).")
  String camLayer;

  @Option(names = "--framing", defaultValue = "whole", converter = FramingConverter.class,
      description = "Input framing stored with the model: whole (the whole image) or body (the body's box, grey levels "
          + "stretched between its 1st and 99th percentiles; the same in Java and serving_bytes). Default ${DEFAULT-VALUE}.")
  Framing framing;

  static final class FramingConverter extends ParsingConverter<Framing> {
    FramingConverter() {
      super(Framing::parse);
    }
  }

  /** Default assets of a new model of this spec: its preprocessing framed as asked. */
  ModelAssets assets(NetworkSpec spec) {
    ModelAssets defaults = ModelAssets.defaults(spec);
    return defaults.withPreprocessing(defaults.preprocessing().withFraming(framing));
  }

  /** The spec from --spec or --preset, with --head and --cam-layer applied, named {@code name}. */
  NetworkSpec spec(String name) throws IOException {
    NetworkSpec spec = specFile != null ? SpecJson.read(specFile) : SpecJson.preset(preset);
    if (head != null) {
      spec = spec.withHead(HeadKind.valueOf(head.toUpperCase(Locale.ROOT)));
    }
    if (camLayer != null) {
      spec = spec.withCamLayer(camLayer);
    }
    return spec.withName(name);
  }
}

package org.ctnet.graph.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.assets.ModelAssets;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;

/**
 * An exported SavedModel loaded as it is, for inference: what the server and the read-only commands
 * use. It owns the bundle (graph and session) and closes it.
 */
public final class LoadedModel extends SignatureModel {
  private final SavedModelBundle bundle;

  private LoadedModel(SavedModelBundle bundle, ModelAssets assets, Map<String, Signature> signatures) {
    super(bundle.session(), signatures, assets);
    this.bundle = bundle;
  }

  /** Loads {@code versionDir} (saved_model.pb, variables, assets.extra) and checks it has every signature. */
  public static LoadedModel load(Path versionDir, SessionOptions options) throws IOException {
    if (!Files.isRegularFile(versionDir.resolve("saved_model.pb"))) {
      throw new IOException("no saved_model.pb in " + versionDir);
    }
    ModelAssets assets = ModelAssets.read(versionDir);
    SavedModelBundle bundle = SavedModelBundle.loader(versionDir.toString())
        .withTags(ModelNames.TAG)
        .withConfigProto(options.toConfigProto())
        .load();
    Map<String, Signature> defs = new LinkedHashMap<>();
    for (Signature s : bundle.signatures()) {
      defs.put(s.key(), s);
    }
    for (String key : ModelNames.SIGNATURES) {
      if (!defs.containsKey(key)) {
        bundle.close();
        throw new IOException("model at " + versionDir + " lacks signature '" + key + "' (has " + defs.keySet() + ")");
      }
    }
    return new LoadedModel(bundle, assets, defs);
  }

  /** The session, for runs of signatures by tensor name (warm-up replays, tests). */
  public Session session() {
    return bundle.session();
  }

  @Override
  public void close() {
    bundle.close();
  }
}

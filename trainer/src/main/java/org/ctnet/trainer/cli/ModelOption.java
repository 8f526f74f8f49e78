package org.ctnet.trainer.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ctnet.graph.runtime.ModelExport;
import picocli.CommandLine.Option;

/** A model version folder, or a model folder whose latest version is used. */
public final class ModelOption {
  @Option(names = "--model", required = true, paramLabel = "DIR",
      description = "A version folder (saved_models/ctnet/1) or a model folder (its highest version is used).")
  Path model;

  Path versionDir() throws IOException {
    if (Files.isRegularFile(model.resolve("saved_model.pb"))) {
      return model;
    }
    var latest = ModelExport.latestVersion(model);
    if (latest.isEmpty()) {
      throw new IOException("no model at " + model + ": expected saved_model.pb or integer version folders");
    }
    return model.resolve(Long.toString(latest.getAsLong()));
  }
}

package org.ctnet.graph.runtime;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.assets.ModelAssets;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Signature;

/** SavedModel export in the TF Serving layout, with atomic publication of the version folder. */
public final class ModelExport {
  /** Prefix of the hidden staging folders (TF Serving ignores non-integer folder names). */
  public static final String STAGING_PREFIX = ".staging-";

  private ModelExport() {}

  /** Writes additional files (reports, model card) into the staging folder before publication. */
  @FunctionalInterface
  public interface ExtraFiles {
    void write(Path stagingVersionDir) throws IOException;
  }

  static Path export(ModelSession model, Path modelDir, long version, ModelAssets assets, ExtraFiles extra)
      throws IOException {
    if (version <= 0) {
      throw new IllegalArgumentException("model version must be a positive integer, got " + version);
    }
    Files.createDirectories(modelDir);
    Path target = modelDir.resolve(Long.toString(version));
    if (Files.exists(target)) {
      throw new FileAlreadyExistsException(target.toString(), null, "model version already exists; versions are immutable");
    }
    Path staging = modelDir.resolve(STAGING_PREFIX + version + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    try {
      SavedModelBundle.Exporter exporter = SavedModelBundle.exporter(staging.toString())
          .withTags(ModelNames.TAG)
          .withSession(model.sessionForExport());
      for (Signature s : model.signaturesForExport()) {
        exporter.withSignature(s);
      }
      exporter.export();
      assets.write(staging);
      // TF Serving replays these before it serves the version; this server does too.
      org.ctnet.graph.export.WarmupRequests.write(staging.resolve(org.ctnet.graph.export.WarmupRequests.FILE),
          org.ctnet.graph.export.WarmupRequests.defaults(modelDir.getFileName().toString(), assets.spec()));
      extra.write(staging);
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot publish " + target + " atomically on this file system", e);
      }
      return target;
    } finally {
      deleteRecursively(staging);
    }
  }

  /** The highest integer version folder under a model folder, if any. */
  public static OptionalLong latestVersion(Path modelDir) throws IOException {
    if (!Files.isDirectory(modelDir)) {
      return OptionalLong.empty();
    }
    try (Stream<Path> children = Files.list(modelDir)) {
      return children.filter(Files::isDirectory)
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9]{1,18}"))
          .mapToLong(Long::parseLong)
          .max();
    }
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

package org.ctnet.server.inference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

/**
 * A scan uploaded file by file (the web page sends a folder as one request per instance, so a series
 * far larger than the body limit arrives, and each file's error is its own): files wait on disk under
 * an upload id until the scan is scored, which removes them; an upload idle for
 * {@link #IDLE_MILLIS} is removed too. Memory holds one file while it arrives.
 */
public final class ScanUploads {
  /** An upload nobody has touched for this long is deleted. */
  public static final long IDLE_MILLIS = 15 * 60_000L;

  private record Upload(Path dir, List<String> names, long bytes, long touched) {}

  /** Where uploads wait; made at the first upload (a server on a read-only disk starts, and says why uploads fail). */
  private final java.util.function.Supplier<Path> rootFactory;
  private volatile Path root;
  private final long maxBytes;
  private final Map<String, Upload> uploads = new ConcurrentHashMap<>();

  /**
   * @param root where uploads wait (a fresh folder per server)
   * @param maxBytes most bytes one upload may hold
   */
  public ScanUploads(Path root, long maxBytes) {
    this.rootFactory = () -> root;
    this.maxBytes = maxBytes;
  }

  private ScanUploads(java.util.function.Supplier<Path> rootFactory, long maxBytes) {
    this.rootFactory = rootFactory;
    this.maxBytes = maxBytes;
  }

  /** Uploads in a temporary folder, made when the first upload arrives. */
  public static ScanUploads inTemporaryFolder(long maxBytes) {
    return new ScanUploads(() -> {
      try {
        return Files.createTempDirectory("ctnet-scan-uploads");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, maxBytes);
  }

  private Path root() {
    Path r = root;
    if (r == null) {
      synchronized (this) {
        if (root == null) {
          try {
            root = rootFactory.get();
          } catch (UncheckedIOException e) {
            throw new ServingException(Problem.UNAVAILABLE, "scan uploads need a writable temporary folder ("
                + "java.io.tmpdir): " + e.getCause().getMessage());
          }
        }
        r = root;
      }
    }
    return r;
  }

  public String create() {
    sweep();
    String id = UUID.randomUUID().toString();
    try {
      uploads.put(id, new Upload(Files.createDirectories(root().resolve(id)), List.of(), 0, System.currentTimeMillis()));
    } catch (IOException e) {
      throw new ServingException(Problem.UNAVAILABLE, "cannot store an upload: " + e.getMessage());
    }
    return id;
  }

  /** Adds one file; returns the upload's file count and bytes so far. */
  public synchronized long[] add(String id, String name, byte[] data) {
    Upload u = existing(id);
    if (u.names().size() >= ImageInference.MAX_SCAN_FILES) {
      throw new ServingException(Problem.TOO_LARGE, "more than " + ImageInference.MAX_SCAN_FILES
          + " files in one scan");
    }
    if (u.bytes() + data.length > maxBytes) {
      throw new ServingException(Problem.TOO_LARGE, "the scan would exceed " + maxBytes + " bytes");
    }
    try {
      Files.write(u.dir().resolve(String.format("%05d", u.names().size())), data);
    } catch (IOException e) {
      throw new ServingException(Problem.UNAVAILABLE, "cannot store the file: " + e.getMessage());
    }
    List<String> names = new ArrayList<>(u.names());
    names.add(name == null || name.isBlank() ? "file-" + names.size() : name);
    uploads.put(id, new Upload(u.dir(), List.copyOf(names), u.bytes() + data.length, System.currentTimeMillis()));
    return new long[] {names.size(), u.bytes() + data.length};
  }

  /** The upload's files, read from disk, in upload order. */
  public List<SeriesAssembler.Input> files(String id) {
    Upload u = existing(id);
    List<SeriesAssembler.Input> out = new ArrayList<>();
    try {
      for (int i = 0; i < u.names().size(); i++) {
        out.add(new SeriesAssembler.Input(u.names().get(i), Files.readAllBytes(u.dir().resolve(String.format("%05d", i)))));
      }
    } catch (IOException e) {
      throw new ServingException(Problem.UNAVAILABLE, "cannot read the upload: " + e.getMessage());
    }
    return out;
  }

  public void remove(String id) {
    Upload u = uploads.remove(id);
    if (u != null) {
      delete(u.dir());
    }
  }

  private Upload existing(String id) {
    Upload u = id == null ? null : uploads.get(id);
    if (u == null) {
      throw ServingException.notFound("no scan upload '" + id + "' (uploads expire after "
          + IDLE_MILLIS / 60_000 + " idle minutes and are removed once scored)");
    }
    return u;
  }

  private void sweep() {
    long now = System.currentTimeMillis();
    uploads.forEach((id, u) -> {
      if (now - u.touched() > IDLE_MILLIS) {
        remove(id);
      }
    });
  }

  private static void delete(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // a later sweep or the OS's temp cleanup takes it
    }
  }
}

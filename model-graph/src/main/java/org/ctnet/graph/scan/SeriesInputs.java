package org.ctnet.graph.scan;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImageTooLargeException;

/**
 * The files of a zip upload, within limits that a zip bomb cannot pass: entries are counted and
 * their bytes bounded before anything is allocated, and each must inflate to exactly the size its
 * archive declares ({@link ZipDirectory}, entries inflated side by side); an archive that reader does
 * not handle is streamed, its bytes measured as they inflate.
 */
public final class SeriesInputs {
  private SeriesInputs() {}

  public static boolean looksLikeZip(byte[] data) {
    return data.length >= 4 && data[0] == 'P' && data[1] == 'K' && data[2] == 3 && data[3] == 4;
  }

  public static List<SeriesAssembler.Input> fromZip(byte[] zip, int maxFiles, long maxTotalBytes)
      throws ImageDecodeException {
    java.util.Optional<List<ZipDirectory.Entry>> listed = ZipDirectory.entries(zip);
    return listed.isPresent() ? fromDirectory(zip, listed.get(), maxFiles, maxTotalBytes)
        : streamed(zip, maxFiles, maxTotalBytes);
  }

  private static List<SeriesAssembler.Input> fromDirectory(byte[] zip, List<ZipDirectory.Entry> entries, int maxFiles,
      long maxTotalBytes) throws ImageDecodeException {
    List<ZipDirectory.Entry> files = entries.stream().filter(e -> !skipped(e.name()) && !e.isDirectory()).toList();
    if (files.size() > maxFiles) {
      throw new ImageTooLargeException("the zip holds more than " + maxFiles + " files");
    }
    if (files.stream().mapToLong(ZipDirectory.Entry::size).sum() > maxTotalBytes
        || files.stream().anyMatch(e -> e.size() > Integer.MAX_VALUE - 8)) {
      throw new ImageTooLargeException("the zip inflates to more than " + maxTotalBytes + " bytes");
    }
    if (files.isEmpty()) {
      throw new ImageDecodeException("the zip holds no files");
    }
    SeriesAssembler.Input[] out = new SeriesAssembler.Input[files.size()];
    ImageDecodeException[] failure = new ImageDecodeException[1];
    java.util.stream.IntStream.range(0, files.size()).parallel().forEach(i -> {
      try {
        out[i] = new SeriesAssembler.Input(files.get(i).name(), ZipDirectory.read(zip, files.get(i)));
      } catch (ImageDecodeException | RuntimeException e) {
        ImageDecodeException why = e instanceof ImageDecodeException d ? d
            : new ImageDecodeException("unreadable zip: " + e, e);
        synchronized (failure) {
          failure[0] = failure[0] == null ? why : failure[0];
        }
      }
    });
    if (failure[0] != null) {
      throw failure[0];
    }
    return List.of(out);
  }

  /** Entries no scan wants: macOS resource forks and hidden files. */
  private static boolean skipped(String name) {
    return name.startsWith("__MACOSX/") || baseName(name).startsWith(".");
  }

  private static List<SeriesAssembler.Input> streamed(byte[] zip, int maxFiles, long maxTotalBytes)
      throws ImageDecodeException {
    List<SeriesAssembler.Input> out = new ArrayList<>();
    long total = 0;
    byte[] buffer = new byte[64 << 10];
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        if (entry.isDirectory() || skipped(entry.getName())) {
          continue;
        }
        if (out.size() == maxFiles) {
          throw new ImageTooLargeException("the zip holds more than " + maxFiles + " files");
        }
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        int n;
        while ((n = read(in, buffer)) > 0) {
          total += n;
          if (total > maxTotalBytes) {
            throw new ImageTooLargeException("the zip inflates to more than " + maxTotalBytes + " bytes");
          }
          file.write(buffer, 0, n);
        }
        out.add(new SeriesAssembler.Input(entry.getName(), file.toByteArray()));
      }
    } catch (ImageDecodeException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new ImageDecodeException("unreadable zip: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new ImageDecodeException("the zip holds no files");
    }
    return out;
  }

  private static int read(InputStream in, byte[] buffer) throws IOException {
    return in.read(buffer, 0, buffer.length);
  }

  private static String baseName(String path) {
    int slash = path.lastIndexOf('/');
    return slash >= 0 ? path.substring(slash + 1) : path;
  }
}

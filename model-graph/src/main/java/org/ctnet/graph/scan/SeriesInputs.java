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
 * their bytes measured as they inflate (never trusting the sizes the archive declares).
 */
public final class SeriesInputs {
  private SeriesInputs() {}

  public static boolean looksLikeZip(byte[] data) {
    return data.length >= 4 && data[0] == 'P' && data[1] == 'K' && data[2] == 3 && data[3] == 4;
  }

  public static List<SeriesAssembler.Input> fromZip(byte[] zip, int maxFiles, long maxTotalBytes)
      throws ImageDecodeException {
    List<SeriesAssembler.Input> out = new ArrayList<>();
    long total = 0;
    byte[] buffer = new byte[64 << 10];
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      ZipEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        if (entry.isDirectory() || entry.getName().startsWith("__MACOSX/") || baseName(entry.getName()).startsWith(".")) {
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

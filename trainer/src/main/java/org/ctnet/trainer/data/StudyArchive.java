package org.ctnet.trainer.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A zip of studies unpacked into a folder the listing reads, within limits a hostile archive cannot
 * pass: entries counted, bytes measured as they inflate (never trusting declared sizes), no entry
 * outside the target (no {@code ..}, no absolute paths). Unpacked once: a later run reuses the folder.
 */
public final class StudyArchive {
  public static final int MAX_FILES = 500_000;
  public static final long MAX_BYTES = 256L << 30;
  private static final String DONE = ".unpacked";

  private StudyArchive() {}

  public static boolean isZip(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
    }
  }

  /** Unpacks {@code zip} into {@code target} (reused when a previous run finished unpacking it) and returns it. */
  public static Path unpack(Path zip, Path target) throws IOException {
    if (Files.isRegularFile(target.resolve(DONE))
        && Files.readString(target.resolve(DONE)).equals(stamp(zip))) {
      return target;
    }
    Files.createDirectories(target);
    Path root = target.toAbsolutePath().normalize();
    int files = 0;
    long total = 0;
    byte[] buffer = new byte[64 << 10];
    try (ZipFile archive = new ZipFile(zip.toFile())) {
      Enumeration<? extends ZipEntry> entries = archive.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        String name = entry.getName();
        if (entry.isDirectory() || name.startsWith("__MACOSX/")) {
          continue;
        }
        Path out = root.resolve(name).normalize();
        if (!out.startsWith(root) || out.equals(root)) {
          throw new IOException("the zip " + zip + " holds an entry outside its folder: " + name);
        }
        if (++files > MAX_FILES) {
          throw new IOException("the zip " + zip + " holds more than " + MAX_FILES + " files");
        }
        Files.createDirectories(out.getParent());
        try (InputStream in = archive.getInputStream(entry); OutputStream o = Files.newOutputStream(out)) {
          int n;
          while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > MAX_BYTES) {
              throw new IOException("the zip " + zip + " inflates to more than " + MAX_BYTES + " bytes");
            }
            o.write(buffer, 0, n);
          }
        }
      }
    } catch (java.util.zip.ZipException e) {
      throw new IOException("unreadable zip " + zip + ": " + e.getMessage(), e);
    }
    Files.writeString(target.resolve(DONE), stamp(zip));
    return target;
  }

  private static String stamp(Path zip) throws IOException {
    return zip.toAbsolutePath() + " " + Files.size(zip) + " " + Files.getLastModifiedTime(zip).toMillis();
  }
}

package org.ctnet.graph.render;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;

/**
 * PNG for the rendered overlays, heatmaps and slices: 8-bit RGB or RGBA, every row with the "Up"
 * filter, one zlib stream at a fast level. ImageIO's writer tries every filter on every row and took
 * about 10 ms for a 224×224 overlay; an explanation answers three of them and a scan three per top
 * slice. Images of another type than int RGB/ARGB go through ImageIO.
 */
public final class PngWriter {
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  private static final int COLOUR_RGB = 2;
  private static final int COLOUR_RGBA = 6;
  private static final byte FILTER_UP = 2;
  /** Deflate level: overlays are small; speed matters more than the last few percent of size. */
  private static final int LEVEL = 1;

  private PngWriter() {}

  public static byte[] encode(BufferedImage image) {
    int type = image.getType();
    if ((type != BufferedImage.TYPE_INT_RGB && type != BufferedImage.TYPE_INT_ARGB)
        || !(image.getRaster().getDataBuffer() instanceof DataBufferInt)) {
      return viaImageIo(image);
    }
    boolean alpha = type == BufferedImage.TYPE_INT_ARGB;
    int width = image.getWidth();
    int height = image.getHeight();
    int[] argb = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
    int channels = alpha ? 4 : 3;
    int stride = width * channels;
    byte[] raw = new byte[height * (stride + 1)];
    byte[] previous = new byte[stride];
    byte[] row = new byte[stride];
    for (int y = 0; y < height; y++) {
      int base = y * width;
      for (int x = 0; x < width; x++) {
        int p = argb[base + x];
        int o = x * channels;
        row[o] = (byte) (p >>> 16);
        row[o + 1] = (byte) (p >>> 8);
        row[o + 2] = (byte) p;
        if (alpha) {
          row[o + 3] = (byte) (p >>> 24);
        }
      }
      int at = y * (stride + 1);
      raw[at] = FILTER_UP;
      for (int i = 0; i < stride; i++) {
        raw[at + 1 + i] = (byte) (row[i] - previous[i]);
      }
      byte[] swap = previous;
      previous = row;
      row = swap;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 2 + 64);
    out.writeBytes(SIGNATURE);
    ByteBuffer header = ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put((byte) 8).put((byte) (alpha ? COLOUR_RGBA : COLOUR_RGB)).put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(out, "IHDR", header.array(), header.array().length);
    Deflater deflater = new Deflater(LEVEL);
    try {
      deflater.setInput(raw);
      deflater.finish();
      byte[] compressed = new byte[raw.length + raw.length / 1000 + 64];
      int length = 0;
      while (!deflater.finished()) {
        if (length == compressed.length) {
          compressed = java.util.Arrays.copyOf(compressed, compressed.length * 2);
        }
        length += deflater.deflate(compressed, length, compressed.length - length);
      }
      chunk(out, "IDAT", compressed, length);
    } finally {
      deflater.end();
    }
    chunk(out, "IEND", new byte[0], 0);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data, int length) {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(ByteBuffer.allocate(4).putInt(length).array());
    out.writeBytes(name);
    out.write(data, 0, length);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data, 0, length);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private static byte[] viaImageIo(BufferedImage image) {
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package org.ctnet.dicom;

import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * JPEG-compressed DICOM frames (lossless process 14, baseline, extended) decoded by TwelveMonkeys'
 * JPEG reader, which reads lossless JPEG of 2–16 bits where the JDK's reader refuses it. Returns the
 * stored sample values as written by the encoder.
 */
final class JpegPixelDecoder {
  private static final JPEGImageReaderSpi PROVIDER = registeredProvider();

  private JpegPixelDecoder() {}

  /** The provider as ImageIO registered it: registration is what hands it the JDK reader it wraps. */
  private static JPEGImageReaderSpi registeredProvider() {
    IIORegistry registry = IIORegistry.getDefaultInstance();
    JPEGImageReaderSpi provider = registry.getServiceProviderByClass(JPEGImageReaderSpi.class);
    if (provider == null) {
      provider = new JPEGImageReaderSpi();
      registry.registerServiceProvider(provider, ImageReaderSpi.class);
    }
    return provider;
  }

  static int[] decode(byte[] frame, int rows, int columns, String syntax) throws DicomFormatException {
    ImageReader reader;
    try {
      reader = PROVIDER.createReaderInstance(null);
    } catch (IOException e) {
      throw new DicomFormatException("no JPEG decoder available: " + e.getMessage(), e);
    }
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(frame))) {
      reader.setInput(in, true, true);
      // Check the frame header before decoding: it must match the DICOM Rows/Columns already bounded.
      int width = reader.getWidth(0);
      int height = reader.getHeight(0);
      if (width != columns || height != rows) {
        throw new DicomFormatException("JPEG frame is " + width + "x" + height + ", the DICOM header says "
            + columns + "x" + rows);
      }
      Raster raster = reader.readRaster(0, null);
      if (raster.getNumBands() != 1) {
        throw new DicomFormatException("JPEG frame has " + raster.getNumBands() + " components, expected 1");
      }
      return raster.getSamples(raster.getMinX(), raster.getMinY(), columns, rows, 0, new int[rows * columns]);
    } catch (DicomFormatException e) {
      throw e;
    } catch (javax.imageio.IIOException e) {
      if (String.valueOf(e.getMessage()).contains("precision")) {
        // 12-bit lossy JPEG (the extended process): neither the JDK nor TwelveMonkeys decodes it.
        throw new DicomFormatException("compressed transfer syntax " + syntax + " (" + TransferSyntax.syntaxName(syntax)
            + ") is not supported for this file: " + e.getMessage() + "; convert to JPEG lossless or uncompressed first", e);
      }
      throw new DicomFormatException("cannot decode " + TransferSyntax.syntaxName(syntax) + " pixel data: "
          + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      throw new DicomFormatException("cannot decode " + TransferSyntax.syntaxName(syntax) + " pixel data: "
          + e.getMessage(), e);
    } finally {
      reader.dispose();
    }
  }
}

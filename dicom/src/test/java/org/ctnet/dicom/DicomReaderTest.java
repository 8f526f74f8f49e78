package org.ctnet.dicom;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every file of the DICOM corpus is read exactly or refused with a clear message. */
class DicomReaderTest {
  static byte[] resource(String name) throws IOException {
    try (InputStream in = DicomReaderTest.class.getResourceAsStream("/dicom-corpus/" + name)) {
      assertNotNull(in, name);
      return in.readAllBytes();
    }
  }

  static int[] expected(String name) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(resource(name)).order(ByteOrder.LITTLE_ENDIAN);
    int[] out = new int[512 * 512];
    for (int i = 0; i < out.length; i++) {
      out[i] = b.getInt();
    }
    return out;
  }

  private static void assertExact(int[] expected, double[] actual, String file) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != actual[i]) {
        fail(file + ": HU at row " + (i / 512) + " col " + (i % 512) + " expected " + expected[i] + " got " + actual[i]);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"a_explicit_le_int16.dcm", "b_implicit_le_int16.dcm", "c_explicit_le_uint16_bs12.dcm",
      "c2_explicit_le_int16_icpt0.dcm", "c3_slope05_uint16.dcm", "c4_slope05_icpt0_int16.dcm",
      "d_explicit_be_int16.dcm", "g_mono1_int16.dcm", "i_no_preamble_implicit.dcm", "j_with_sequence.dcm",
      "j2_seq_undefined_len_explicit.dcm", "k_implicit_nested_trap.dcm", "k2_implicit_trap_undefined_len.dcm",
      "k3_explicit_nested_trap.dcm", "m_uint16_bs12_highbits_garbage.dcm", "n_int12_not_sign_extended.dcm",
      "e_rle_int16.dcm", "e2_jpeg_lossless_sv1.dcm"})
  void readsExactHounsfieldUnits(String file) throws IOException {
    DicomImage image = DicomReader.read(resource(file));
    assertEquals(512, image.rows());
    assertEquals(512, image.columns());
    assertExact(expected("expected_hu.i32le"), image.hounsfield(), file);
  }

  @Test
  void readsEightBitSlopeTenAndEveryFrame() throws IOException {
    assertExact(expected("expected_hu_uint8.i32le"), DicomReader.read(resource("h_uint8_slope10.dcm")).hounsfield(), "h");
    DicomImage multi = DicomReader.read(resource("g_multiframe3_int16.dcm"));
    assertEquals(3, multi.frameCount());
    // The corpus README calls the frames identical; the file stores the pattern + 100 HU per
    // frame index, which is what a reader that returns the right frame must see.
    int[] base = expected("expected_hu.i32le");
    for (int f = 0; f < 3; f++) {
      int[] shifted = new int[base.length];
      for (int i = 0; i < base.length; i++) {
        shifted[i] = base[i] + 100 * f;
      }
      assertExact(shifted, multi.hounsfield(f), "multiframe frame " + f);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"e3_jpegls_lossless.dcm", "e4_jpeg_ext12.dcm", "e5_j2k_lossless.dcm"})
  void refusesCompressedSyntaxesByName(String file) {
    var e = assertThrows(DicomFormatException.class, () -> DicomReader.read(resource(file)));
    assertTrue(e.getMessage().contains("compressed transfer syntax") && e.getMessage().contains("not supported"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"f_not_dicom.dcm", "f_truncated.dcm", "f_truncated_header.dcm"})
  void refusesBrokenFilesWithoutAllocatingOrZeroFilling(String file) throws IOException {
    byte[] data = resource(file);
    var e = assertThrows(DicomFormatException.class, () -> DicomReader.read(data, 10_000_000));
    assertTrue(e.getMessage().contains("DICOM"), e.getMessage());
  }

  @Test
  void lungWindowMapsHounsfieldToGreyLevels() throws IOException {
    float[] grey = DicomReader.read(resource("a_explicit_le_int16.dcm")).windowed(0, -600, 1500);
    assertEquals(Math.round((-1024 + 1350) / 1500.0 * 255), grey[(0) * 512 + 0], "−1024 HU");
    assertEquals(Math.round((-1000 + 1350) / 1500.0 * 255), grey[(30) * 512 + 256], "air at −1000 HU");
    assertEquals(255f, grey[(0) * 512 + 511], "2000 HU is above the window");
    assertEquals(Math.round((40 + 1350) / 1500.0 * 255), grey[(256) * 512 + 256], "soft tissue at 40 HU");
    assertEquals(Math.round((-600 + 1350) / 1500.0 * 255), grey[(256) * 512 + 256 + 160], "lung ring at −600 HU");
  }

  @Test
  void refusesDeeplyNestedSequencesWithoutOverflowingTheStack() {
    ByteBuffer b = ByteBuffer.allocate(16 + 16 * 100_000).order(ByteOrder.LITTLE_ENDIAN);
    b.putShort((short) 0x0008).putShort((short) 0x0060).putInt(2).put((byte) 'C').put((byte) 'T');
    for (int depth = 0; depth < 100_000; depth++) {
      b.putShort((short) 0x0008).putShort((short) 0x1140).putInt(-1); // sequence, undefined length
      b.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(-1); // item, undefined length
    }
    var e = assertThrows(DicomFormatException.class, () -> DicomReader.read(b.array()));
    assertTrue(e.getMessage().contains("nested deeper"), e.getMessage());
  }

  @Test
  void thePixelLimitAppliesBeforeAnyPixelIsDecoded() throws IOException {
    var e = assertThrows(DicomFormatException.class,
        () -> DicomReader.read(resource("e2_jpeg_lossless_sv1.dcm"), 512 * 512 - 1));
    assertTrue(e.getMessage().contains("512x512x1 pixels, more than the 262143 allowed"), e.getMessage());
    assertEquals(512, DicomReader.read(resource("e2_jpeg_lossless_sv1.dcm"), 512 * 512).rows());
  }
}

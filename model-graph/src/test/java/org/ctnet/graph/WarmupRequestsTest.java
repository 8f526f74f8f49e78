package org.ctnet.graph;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.ctnet.graph.export.WarmupRequests;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.testing.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.TensorProto;

/**
 * TF Serving's warm-up file: every export writes one (TFRecord of PredictionLog protos) that reads
 * back to the same requests; framing and checksums are checked, so a damaged file is refused.
 */
class WarmupRequestsTest {
  @TempDir Path dir;

  @Test
  void everyExportCarriesWarmupRequestsThatReadBack() throws IOException {
    Path version;
    try (ModelSession m = TestModels.tiny()) {
      version = m.export(dir.resolve("blobs"), 1, m.assets());
    }
    Path file = version.resolve(WarmupRequests.FILE);
    List<WarmupRequests.Request> requests = WarmupRequests.read(file);
    assertEquals(List.of(ModelNames.SERVING_DEFAULT, ModelNames.SERVING_BYTES, ModelNames.SERVING_BYTES, ModelNames.EXPLAIN),
        requests.stream().map(WarmupRequests.Request::signature).toList());
    assertEquals("blobs", requests.get(0).modelName());
    TensorProto images = requests.get(0).inputs().get(ModelNames.IN_IMAGES);
    assertArrayEquals(new long[] {1, 32, 32, 1}, WarmupRequests.shape(images));
    assertEquals(0.5f, WarmupRequests.floats(images)[1023]);
    assertEquals(8, requests.get(2).inputs().get(ModelNames.IN_IMAGE_BYTES).getStringValCount());
    assertEquals(-1, requests.get(3).inputs().get(ModelNames.IN_CLASS_INDEX).getIntVal(0));
    // Byte-identical when written again from what was read: nothing is lost in the encoding.
    Path again = dir.resolve("again");
    WarmupRequests.write(again, requests);
    assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(again));
  }

  @Test
  void damagedFilesAreRefusedWithTheReason() throws IOException {
    TensorProto t = WarmupRequests.floatTensor(new float[] {1, 2, 3, 4}, new long[] {1, 2, 2, 1});
    Path file = dir.resolve("w");
    WarmupRequests.write(file, List.of(new WarmupRequests.Request("m", "serving_default", Map.of("images", t))));
    byte[] good = Files.readAllBytes(file);
    assertArrayEquals(new float[] {1, 2, 3, 4}, WarmupRequests.floats(WarmupRequests.read(file).get(0).inputs().get("images")));
    // TFRecord framing: 8-byte length, its masked CRC32C, the data, the data's masked CRC32C.
    assertEquals(good.length - 16, java.nio.ByteBuffer.wrap(good, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());

    byte[] flipped = good.clone();
    flipped[20] ^= 1;
    Files.write(file, flipped);
    assertTrue(assertThrows(IOException.class, () -> WarmupRequests.read(file)).getMessage().contains("checksum"));
    Files.write(file, java.util.Arrays.copyOf(good, good.length - 3));
    assertThrows(IOException.class, () -> WarmupRequests.read(file));
    Files.write(file, "not a tfrecord at all".getBytes(StandardCharsets.US_ASCII));
    assertThrows(IOException.class, () -> WarmupRequests.read(file));
  }
}

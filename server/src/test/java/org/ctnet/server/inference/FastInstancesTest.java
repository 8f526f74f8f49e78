package org.ctnet.server.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The byte-level instances scanner against Double.parseDouble and the general Jackson path. */
class FastInstancesTest {

  private static FastJson.Parsed parse(String body, int h, int w, int c) {
    return FastInstances.parse(body.getBytes(StandardCharsets.UTF_8), h, w, c, 8);
  }

  /** Numbers as one 1×N image, each compared bit for bit with (float) Double.parseDouble. */
  private static void assertNumbers(List<String> all) {
    // Beyond float's range (1e39, 1e400) a number is refused by the fast path, and then with a 400 by the general one.
    List<String> numbers = all.stream().filter(n -> Float.isFinite((float) Double.parseDouble(n))).toList();
    for (String outOfRange : all.stream().filter(n -> !Float.isFinite((float) Double.parseDouble(n))).toList()) {
      assertNull(parse("{\"instances\":[[[" + outOfRange + "]]]}", 1, 1, 1), "accepted out-of-range " + outOfRange);
    }
    String body = "{\"instances\":[[[" + numbers.stream().map(s -> "[" + s + "]").collect(java.util.stream.Collectors.joining(",")) + "]]]}";
    // shape [1][N][1]: one row of N pixels with one channel each
    FastJson.Parsed parsed = parse(body, 1, numbers.size(), 1);
    if (parsed == null) {
      // name the first number the scanner refuses
      for (String n : numbers) {
        assertNotNull(parse("{\"instances\":[[[" + n + "]]]}", 1, 1, 1), "refused number " + n);
      }
    }
    assertNotNull(parsed);
    for (int i = 0; i < numbers.size(); i++) {
      float expected = (float) Double.parseDouble(numbers.get(i));
      assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(parsed.values()[i]),
          numbers.get(i) + ": expected " + expected + ", got " + parsed.values()[i]);
    }
  }

  @Test
  void numbersEqualTheNearestDoubleCastToFloat() {
    Random r = new Random(7);
    List<String> numbers = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      float f = Float.intBitsToFloat(r.nextInt());
      if (Float.isFinite(f)) {
        numbers.add(Float.toString(f));
      }
      numbers.add(Float.toString(r.nextFloat()));
      numbers.add(Double.toString(r.nextDouble() * Math.pow(10, r.nextInt(20) - 10)));
      numbers.add(Double.toString(-r.nextGaussian()));
      // Python-style float64 repr of float32 values, and plain decimals of many lengths
      numbers.add(new java.math.BigDecimal((double) r.nextFloat()).round(new java.math.MathContext(1 + r.nextInt(25))).toPlainString());
      numbers.add(Long.toString(r.nextLong() >> r.nextInt(64)));
      numbers.add((r.nextBoolean() ? "-" : "") + r.nextInt(1000) + "." + r.nextInt(1000) + (r.nextBoolean() ? "e" : "E")
          + (r.nextBoolean() ? "-" : r.nextBoolean() ? "+" : "") + r.nextInt(60));
    }
    numbers.addAll(List.of("0", "-0", "0.0", "-0.0", "0e10", "1e22", "1e23", "9007199254740993", "123456789012345678901234567890",
        "0.000000000000000000000000000000000000000000001", "1.7976931348623157e308", "4.9e-324", "1e-400", "1e400", "-1e400",
        "3.4028235e38", "3.4028236e38", "1.4e-45", "0.10000000000000000555", "16777217", "0.99999999999999999999", "255", "1E-7",
        // fractions around the four- and eight-digit steps, and digits that end a step early
        "0.1234", "0.12345", "0.123456", "0.1234567", "0.0001", "0.00001234", "12.3456", "0.1234e3", "0.1234E-2",
        "1.234567890123", "0.123456789012345678", "0.000000001234", "9.9999", "0.9999999999999999999999"));
    assertNumbers(numbers);
  }

  @Test
  void readsTwoAndThreeDimensionalImagesLikeTheGeneralPath() {
    Random r = new Random(3);
    int h = 3;
    int w = 4;
    for (int c : new int[] {1, 3}) {
      for (boolean nested : c == 1 ? new boolean[] {false, true} : new boolean[] {true}) {
        StringBuilder sb = new StringBuilder("{ \"signature_name\" : \"serving_default\",\n \"instances\" : [");
        float[] expected = new float[2 * h * w * c];
        int k = 0;
        for (int n = 0; n < 2; n++) {
          sb.append(n > 0 ? " ,\n" : "").append("[");
          for (int y = 0; y < h; y++) {
            sb.append(y > 0 ? ", " : "").append("[");
            for (int x = 0; x < w; x++) {
              sb.append(x > 0 ? "," : "").append(nested ? "[ " : "");
              for (int ch = 0; ch < c; ch++) {
                double v = r.nextGaussian();
                sb.append(ch > 0 ? " , " : "").append(v);
                expected[k++] = (float) v;
              }
              sb.append(nested ? " ]" : "");
            }
            sb.append("]");
          }
          sb.append("]");
        }
        sb.append("], \"other\": {\"a\": [1, \"x]}\"]} }\n");
        FastJson.Parsed parsed = parse(sb.toString(), h, w, c);
        assertNotNull(parsed, sb.toString());
        assertEquals(2, parsed.count());
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(parsed.values()));
        assertEquals("serving_default", parsed.others().get("signature_name").asText());
        assertEquals("x]}", parsed.others().get("other").get("a").get(1).asText());
        // the general path over the Jackson tree gives the same floats
        JsonNode tree = Json.parse(sb.toString().getBytes(StandardCharsets.UTF_8));
        float[] general = new float[expected.length];
        int offset = 0;
        for (JsonNode instance : tree.get("instances")) {
          offset = Json.flatten(instance, nested ? new int[] {h, w, c} : new int[] {h, w}, 0, general, offset, "test");
        }
        assertEquals(java.util.Arrays.toString(general), java.util.Arrays.toString(parsed.values()));
      }
    }
  }

  @Test
  void membersAfterTheInstancesAndExplainOptionsAreKept() {
    FastJson.Parsed parsed = parse("{\"instances\":[[[1,2]]],\"method\":\"gradcam\",\"grid\":7,\"overlay\":true,\"class_index\":[1]}", 1, 2, 1);
    assertNotNull(parsed);
    assertEquals("gradcam", parsed.others().get("method").asText());
    assertEquals(7, parsed.others().get("grid").asInt());
    assertEquals(true, parsed.others().get("overlay").asBoolean());
    assertEquals(1, parsed.others().get("class_index").get(0).asInt());
  }

  /** Bodies the fast path leaves to the general path (which gives the detailed 4xx errors). */
  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "[]",
      "{}",
      "{\"inputs\":[[[1,2]]]}",
      "{\"instances\":[]}",
      "{\"instances\":[[[1,2,3]]]}",
      "{\"instances\":[[[1]]]}",
      "{\"instances\":[[[1,2],[3,4]]]}",
      "{\"instances\":[[1,2]]}",
      "{\"instances\":[[[1,\"2\"]]]}",
      "{\"instances\":[[[1,NaN]]]}",
      "{\"instances\":[[[1,null]]]}",
      "{\"instances\":[[[01,2]]]}",
      "{\"instances\":[[[1.,2]]]}",
      "{\"instances\":[[[.5,2]]]}",
      "{\"instances\":[[[+1,2]]]}",
      "{\"instances\":[[[1e,2]]]}",
      "{\"instances\":[[[-,2]]]}",
      "{\"instances\":[[[1 2]]]}",
      "{\"instances\":[[[1,,2]]]}",
      "{\"instances\":[[[1,2]]] ",
      "{\"instances\":[[[1,2]]]} x",
      "{\"instances\":[[[1,2]]],}",
      "{\"instances\":[[[1,2]]],\"instances\":[[[1,2]]]}",
      "{\"instances\":[[[1,2]]],\"x\":}",
      "{\"instances\":[[[1,2]]],\"x\":[1,}",
      "{\"inst\\u0061nces\":[[[1,2]]]}",
      "{\"instances\":[{\"b64\":\"AAAA\"}]}",
      "{\"instances\":[[[1,2]],[[1,2]],[[1,2]],[[1,2]],[[1,2]],[[1,2]],[[1,2]],[[1,2]],[[1,2]]]}"})
  void leavesOtherBodiesToTheGeneralPath(String body) {
    assertNull(parse(body, 1, 2, 1), body);
  }

  /** A [h][w] or [h][w][1] image as JSON rows; {@code separator} between values and rows. */
  private static String imageJson(float[] pixels, int h, int w, boolean nested, String separator) {
    StringBuilder sb = new StringBuilder("[");
    for (int y = 0; y < h; y++) {
      sb.append(y > 0 ? "," + separator : "").append('[');
      for (int x = 0; x < w; x++) {
        sb.append(x > 0 ? "," + separator : "").append(nested ? "[" : "").append(pixels[y * w + x]).append(nested ? "]" : "");
      }
      sb.append(']');
    }
    return sb.append(']').toString();
  }

  @Test
  void largeImagesReadByTwoThreadsEqualTheGeneralPath() {
    Random r = new Random(11);
    int h = 224;
    int w = 224;
    float[][] images = new float[3][h * w];
    for (float[] image : images) {
      for (int i = 0; i < image.length; i++) {
        image[i] = r.nextFloat();
      }
    }
    for (boolean nested : new boolean[] {true, false}) {
      // one compact image (split in two), three images, and a pretty-printed first image followed
      // by compact ones (the boundary guess lands in the next image and must be dropped)
      List<String> bodies = List.of(
          "{\"instances\":[" + imageJson(images[0], h, w, nested, "") + "]}",
          "{\"instances\":[" + imageJson(images[0], h, w, nested, "") + "," + imageJson(images[1], h, w, nested, "") + ","
              + imageJson(images[2], h, w, nested, "") + "]}",
          "{\"instances\":[" + imageJson(images[0], h, w, nested, "\n ") + "," + imageJson(images[1], h, w, nested, "") + ","
              + imageJson(images[2], h, w, nested, "") + "]}");
      for (String body : bodies) {
        FastJson.Parsed parsed = parse(body, h, w, 1);
        assertNotNull(parsed);
        JsonNode tree = Json.parse(body.getBytes(StandardCharsets.UTF_8));
        float[] general = new float[parsed.count() * h * w];
        int offset = 0;
        for (JsonNode instance : tree.get("instances")) {
          offset = Json.flatten(instance, nested ? new int[] {h, w, 1} : new int[] {h, w}, 0, general, offset, "test");
        }
        assertEquals(general.length, parsed.values().length);
        for (int i = 0; i < general.length; i++) {
          assertEquals(Float.floatToRawIntBits(general[i]), Float.floatToRawIntBits(parsed.values()[i]), "value " + i);
        }
      }
      // a short row, an extra row or a bad number in the second half leaves the fast path
      String good = imageJson(images[0], h, w, nested, "");
      int late = good.length() * 3 / 4;
      int rowEnd = good.indexOf(nested ? "]]," : "],", late) + (nested ? 1 : 0);
      String shortRow = good.substring(0, good.lastIndexOf(',', rowEnd)) + good.substring(rowEnd);
      String extraRow = good.substring(0, good.length() - 1) + "," + good.substring(1, good.indexOf(nested ? "]]" : "]") + (nested ? 2 : 1)) + "]";
      String badNumber = good.substring(0, late) + good.substring(late).replaceFirst("0\\.", "0..");
      for (String bad : List.of(shortRow, extraRow, badNumber)) {
        assertNull(parse("{\"instances\":[" + bad + "]}", h, w, 1));
      }
    }
  }

  @Test
  void kserveFlatFp32TensorsInAnyMemberOrder() {
    String data = "[0.5,-1e-3,2,3.25,0,1,7,8]";
    for (String body : List.of(
        "{\"id\":\"a\",\"inputs\":[{\"name\":\"images\",\"shape\":[2,2,2,1],\"datatype\":\"FP32\",\"data\":" + data
            + "}],\"outputs\":[{\"name\":\"probabilities\"}]}",
        "{ \"inputs\" : [ { \"data\" : " + data + ", \"datatype\":\"FP32\", \"shape\":[2, 2, 2, 1], \"name\": \"images\" } ],"
            + " \"id\":\"a\", \"outputs\":[{\"name\":\"probabilities\"}] }")) {
      FastJson.Parsed p = FastKServe.parse(body.getBytes(StandardCharsets.UTF_8), 2, 2, 1, 8);
      assertNotNull(p, body);
      assertEquals(2, p.count());
      assertEquals("[0.5, -0.001, 2.0, 3.25, 0.0, 1.0, 7.0, 8.0]", java.util.Arrays.toString(p.values()));
      assertEquals("a", p.others().get("id").asText());
      assertEquals("probabilities", p.others().get("outputs").get(0).get("name").asText());
    }
  }

  /** KServe bodies left to the general path, which answers them or explains what is wrong. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{\"inputs\":[{\"shape\":[1,1,2,1],\"datatype\":\"BYTES\",\"data\":[\"AAAA\"]}]}",
      "{\"inputs\":[{\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[1,2]}]}",
      "{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[1,2]}]}",
      "{\"inputs\":[{\"name\":\"images\",\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[1,2],\"parameters\":{}}]}",
      "{\"inputs\":[{\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[[[[1],[2]]]]}]}",
      "{\"inputs\":[{\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[1]}]}",
      "{\"inputs\":[{\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}",
      "{\"inputs\":[{\"shape\":[1,2,1,1],\"datatype\":\"FP32\",\"data\":[1,2]}]}",
      "{\"inputs\":[{\"shape\":[9,1,2,1],\"datatype\":\"FP32\",\"data\":[1,2,1,2,1,2,1,2,1,2,1,2,1,2,1,2,1,2]}]}",
      "{\"inputs\":[{\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[1,2]},{\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[1,2]}]}",
      "{\"inputs\":[{\"shape\":[1,1,2,1],\"datatype\":\"FP32\"}]}",
      "{\"inputs\":[{\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[1,2],\"extra\":1}]}",
      "{\"inputs\":[{\"shape\":[1,1,2,1],\"datatype\":\"FP32\",\"data\":[1,2]}]",
      "{\"id\":\"x\"}"})
  void kserveBodiesLeftToTheGeneralPath(String body) {
    assertNull(FastKServe.parse(body.getBytes(StandardCharsets.UTF_8), 1, 2, 1, 8), body);
  }

  @Test
  void acceptsTheLargestAllowedNumberOfInstances() {
    String eight = "{\"instances\":[" + String.join(",", java.util.Collections.nCopies(8, "[[1,2]]")) + "]}";
    FastJson.Parsed parsed = parse(eight, 1, 2, 1);
    assertNotNull(parsed);
    assertEquals(8, parsed.count());
    assertEquals(16, parsed.values().length);
  }
}

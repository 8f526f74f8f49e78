package org.ctnet.server.inference;

import org.ctnet.dicom.DicomReader;
import org.ctnet.server.repository.ServedVersion;
import org.ctnet.graph.runtime.Prediction;
import org.ctnet.graph.runtime.Predictor;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.check.InputCheck;
import org.ctnet.graph.preprocess.ImagePreprocessor;
import org.ctnet.graph.preprocess.ImageTooLargeException;
import org.ctnet.graph.spec.NetworkSpec;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

/**
 * Request images to model input: pixel tensors from JSON, encoded images decoded in Java (DICOM,
 * BMP, GIF, TIFF too) within the pixel limit and the decode budget, headers checked before decoding.
 */
public final class ImageInputs {
  private final ServerSettings settings;
  private final DecodeBudget decodeBudget;

  public ImageInputs(ServerSettings settings) {
    this.settings = settings;
    this.decodeBudget = new DecodeBudget(settings.decodeBudgetBytes());
  }

  /** Images decoded from a request, with the original order preserved. */
  public record Batch(float[] pixels, int count, List<byte[]> encoded) {}

  /** Bounds what decoded images may hold at once across requests. */
  DecodeBudget budget() {
    return decodeBudget;
  }

  Batch images(Predictor session, RequestBody request, String inputName) {
    NetworkSpec spec = session.spec();
    List<JsonNode> instances = request.instances(inputName);
    int pixels = spec.inputShape().pixels();
    boolean encoded = instances.stream().allMatch(i -> i.isObject() && i.has("b64"));
    if (encoded) {
      List<byte[]> bytes = new ArrayList<>();
      instances.forEach(i -> bytes.add(base64(i)));
      return decodeInJava(session, bytes);
    }
    float[] out = new float[instances.size() * pixels];
    int[] shape = spec.inputChannels() == 1 && instances.get(0).isArray() && instances.get(0).size() > 0
        && instances.get(0).get(0).isArray() && instances.get(0).get(0).size() > 0 && instances.get(0).get(0).get(0).isNumber()
        ? new int[] {spec.inputHeight(), spec.inputWidth()}
        : new int[] {spec.inputHeight(), spec.inputWidth(), spec.inputChannels()};
    int offset = 0;
    for (int i = 0; i < instances.size(); i++) {
      offset = Json.flatten(instances.get(i), shape, 0, out, offset, "instance " + i + " (" + inputName + ")");
    }
    return new Batch(out, instances.size(), null);
  }

  public Batch decodeInJava(Predictor session, List<byte[]> encoded) {
    return org.ctnet.server.observe.Tracing.current().inSpan("decode", () -> decodeEach(session, encoded));
  }

  private Batch decodeEach(Predictor session, List<byte[]> encoded) {
    ImagePreprocessor pre = new ImagePreprocessor(session.assets().preprocessing(), settings.maxImagePixels());
    NetworkSpec spec = session.spec();
    int pixels = spec.inputShape().pixels();
    float[] out = new float[encoded.size() * pixels];
    for (int i = 0; i < encoded.size(); i++) {
      try (DecodeBudget.Permit permit = decodeBudget.acquire(ImagePreprocessor.decodeBytes(encoded.get(i)))) {
        System.arraycopy(pre.toModelInput(encoded.get(i)), 0, out, i * pixels, pixels);
      } catch (ImageTooLargeException e) {
        throw new ServingException(Problem.TOO_LARGE, "image " + i + ": " + e.getMessage());
      } catch (ImageDecodeException e) {
        throw ServingException.badRequest("image " + i + ": " + e.getMessage());
      }
    }
    return new Batch(out, encoded.size(), encoded);
  }

  /** One image decoded as {@link #decodeInJava} does, with the input checks (DICOM header included). */
  public InputCheck.Checked decodeChecked(Predictor session, byte[] encoded) {
    return org.ctnet.server.observe.Tracing.current().inSpan("decode", () -> decodeOne(session, encoded));
  }

  private InputCheck.Checked decodeOne(Predictor session, byte[] encoded) {
    ImagePreprocessor pre = new ImagePreprocessor(session.assets().preprocessing(), settings.maxImagePixels());
    try (DecodeBudget.Permit permit = decodeBudget.acquire(ImagePreprocessor.decodeBytes(encoded))) {
      return InputCheck.inspect(encoded, pre);
    } catch (ImageTooLargeException e) {
      throw new ServingException(Problem.TOO_LARGE, "image 0: " + e.getMessage());
    } catch (ImageDecodeException e) {
      throw ServingException.badRequest("image 0: " + e.getMessage());
    }
  }

  /** The input checks of n model inputs ([n, H, W, C] flattened; no received size, so no size check). */
  public static List<InputCheck.Result> checks(Predictor session, float[] pixels, int n) {
    NetworkSpec spec = session.spec();
    int pixelsPerImage = spec.inputShape().pixels();
    List<InputCheck.Result> out = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] input = java.util.Arrays.copyOfRange(pixels, i * pixelsPerImage, (i + 1) * pixelsPerImage);
      out.add(InputCheck.checkModelInput(input, spec.inputWidth(), spec.inputHeight(), spec.inputChannels()));
    }
    return out;
  }

  /** A request's {@code input_check} flag: absent = false, else a boolean (anything else is refused). */
  public static boolean wantsChecks(JsonNode flag) {
    if (flag == null || flag.isMissingNode() || flag.isNull()) {
      return false;
    }
    if (!flag.isBoolean()) {
      throw ServingException.badRequest("input_check must be true or false, got " + flag);
    }
    return flag.asBoolean();
  }

  static boolean isPng(byte[] e) {
    return e.length >= 8 && (e[0] & 0xff) == 0x89 && e[1] == 'P' && e[2] == 'N' && e[3] == 'G';
  }

  static boolean isJpeg(byte[] e) {
    return e.length >= 3 && (e[0] & 0xff) == 0xFF && (e[1] & 0xff) == 0xD8 && (e[2] & 0xff) == 0xFF;
  }

  /** Reads only the header: refuses non-images and images above the pixel limit before decoding. */
  void checkImageHeader(byte[] encoded) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(encoded))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw ServingException.badRequest("not a PNG, JPEG, BMP, GIF or DICOM image");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
        if (pixels > settings.maxImagePixels()) {
          throw new ServingException(Problem.TOO_LARGE, "image has " + pixels + " pixels, more than the limit of " + settings.maxImagePixels());
        }
      } finally {
        reader.dispose();
      }
    } catch (IOException e) {
      throw ServingException.badRequest("unreadable image: " + e.getMessage());
    }
  }

  static byte[] base64(JsonNode instance) {
    JsonNode b64 = instance.isObject() ? instance.get("b64") : null;
    if (b64 == null || !b64.isTextual()) {
      throw ServingException.badRequest("binary inputs must be given as {\"b64\": \"<base64>\"}, got " + Json.describe(instance));
    }
    return decodeBase64(b64.asText(), "b64");
  }

  static byte[] decodeBase64(String text, String what) {
    try {
      return Base64.getDecoder().decode(text.replace("\n", "").replace("\r", ""));
    } catch (IllegalArgumentException e) {
      throw ServingException.badRequest(what + " is not valid base64: " + e.getMessage());
    }
  }


  /**
   * serving_bytes through the scheduler: PNG and JPEG decoded in the graph (headers checked, the
   * decode budget held), anything else (DICOM, BMP, GIF, TIFF) decoded in Java first.
   */
  public Prediction predictEncoded(ServedVersion served, List<byte[]> encoded, SchedulerCalls calls) {
    boolean allGraphDecodable = true;
    for (byte[] e : encoded) {
      if (DicomReader.looksLikeDicom(e) || !(isPng(e) || isJpeg(e))) {
        allGraphDecodable = false;
      } else {
        checkImageHeader(e);
      }
    }
    if (!allGraphDecodable) {
      // DICOM, BMP, GIF and TIFF are decoded in Java (the graph decodes PNG and JPEG only), then
      // served like pixels; what Java cannot read either is refused there with a 400.
      Batch b = decodeInJava(served.predictor(), encoded);
      return calls.await(served.predict(b.pixels(), b.count()));
    }
    long decodeBytes = 0;
    for (byte[] e : encoded) {
      try {
        decodeBytes += ImagePreprocessor.decodeBytes(e);
      } catch (ImageDecodeException bad) {
        throw ServingException.badRequest(bad.getMessage());
      }
    }
    // TF decodes these in native memory, but the same budget bounds what a burst of them can take.
    try (DecodeBudget.Permit permit = decodeBudget.acquire(decodeBytes)) {
      return calls.await(served.predictEncoded(encoded));
    }
  }

  /**
   * Encoded images in the binary BYTES layout of the Open Inference Protocol (REST's binary extension,
   * gRPC's raw contents): each a 4-byte little-endian length, then its bytes.
   */
  public static List<byte[]> lengthPrefixed(java.nio.ByteBuffer data) {
    java.nio.ByteBuffer in = data.slice().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    List<byte[]> out = new java.util.ArrayList<>();
    while (in.hasRemaining()) {
      if (in.remaining() < 4) {
        throw ServingException.badRequest("binary BYTES data ends inside a length prefix");
      }
      int length = in.getInt();
      if (length < 0 || length > in.remaining()) {
        throw ServingException.badRequest("a binary BYTES element of " + length + " bytes runs past the data's end");
      }
      byte[] element = new byte[length];
      in.get(element);
      out.add(element);
    }
    return out;
  }
}

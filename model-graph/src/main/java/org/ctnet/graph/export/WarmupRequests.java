package org.ctnet.graph.export;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.tensorflow.proto.TensorProto;

/**
 * TensorFlow Serving's warm-up file, {@code assets.extra/tf_serving_warmup_requests}: a TFRecord file
 * of {@code PredictionLog} protos, each holding one {@code PredictRequest} that the server replays
 * before it marks a version available. Written by every export (so TF Serving warms a CT-Net model
 * the way this server does) and read by this server when present. Only the parts of the protos a
 * predict warm-up uses are encoded (field numbers from tensorflow_serving/apis):
 * PredictionLog.predict_log = 6; PredictLog.request = 1; PredictRequest.model_spec = 1, inputs = 2
 * (map entries key = 1, value = 2); ModelSpec.name = 1, signature_name = 3.
 */
public final class WarmupRequests {
  /** The file's path inside a version folder, as TF Serving looks for it. */
  public static final String FILE = "assets.extra/tf_serving_warmup_requests";
  /** TF Serving refuses to replay more than this many records (its own limit). */
  public static final int MAX_RECORDS = 1000;

  private static final int PREDICTION_LOG_PREDICT_LOG = 6;
  private static final int PREDICT_LOG_REQUEST = 1;
  private static final int REQUEST_MODEL_SPEC = 1;
  private static final int REQUEST_INPUTS = 2;
  private static final int MODEL_SPEC_NAME = 1;
  private static final int MODEL_SPEC_SIGNATURE = 3;
  private static final int MAP_KEY = 1;
  private static final int MAP_VALUE = 2;
  private static final int MASK_DELTA = 0xa282ead8;

  private WarmupRequests() {}

  /** One predict request: the signature it calls and its named input tensors. */
  public record Request(String modelName, String signature, Map<String, TensorProto> inputs) {}

  public static void write(Path file, List<Request> requests) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (OutputStream out = Files.newOutputStream(file)) {
      for (Request r : requests) {
        writeRecord(out, predictionLog(r));
      }
    }
  }

  /** Every request of a warm-up file; a malformed file is an IOException naming what is wrong. */
  public static List<Request> read(Path file) throws IOException {
    byte[] data = Files.readAllBytes(file);
    ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    List<Request> out = new ArrayList<>();
    while (in.hasRemaining()) {
      if (out.size() == MAX_RECORDS) {
        throw new IOException(file + " holds more than " + MAX_RECORDS + " warm-up records");
      }
      if (in.remaining() < 12) {
        throw new IOException(file + ": truncated record header at byte " + in.position());
      }
      byte[] lengthBytes = new byte[8];
      in.get(lengthBytes);
      long length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (in.getInt() != maskedCrc(lengthBytes, 0, 8)) {
        throw new IOException(file + ": record length checksum mismatch at record " + out.size());
      }
      if (length < 0 || length > in.remaining() - 4) {
        throw new IOException(file + ": record " + out.size() + " claims " + length + " bytes, "
            + Math.max(0, in.remaining() - 4) + " left");
      }
      int start = in.position();
      in.position(start + (int) length);
      if (in.getInt() != maskedCrc(data, start, (int) length)) {
        throw new IOException(file + ": record " + out.size() + " data checksum mismatch");
      }
      out.add(parsePredictionLog(data, start, (int) length, file));
    }
    return out;
  }

  /**
   * The requests every CT-Net export carries: serving_default and explain on one mid-grey image,
   * serving_bytes on one and on eight PNGs (the bytes signature decodes in a loop whose first run at
   * a batch size is the slow one).
   */
  public static List<Request> defaults(String modelName, org.ctnet.graph.spec.NetworkSpec spec) throws IOException {
    long[] shape = spec.inputShape().batchDimensions(1);
    float[] grey = new float[spec.inputShape().pixels()];
    java.util.Arrays.fill(grey, 0.5f);
    TensorProto images = floatTensor(grey, shape);
    byte[] png = greyPng(spec.inputWidth(), spec.inputHeight());
    List<Request> out = new ArrayList<>();
    out.add(new Request(modelName, org.ctnet.graph.ModelNames.SERVING_DEFAULT, Map.of(org.ctnet.graph.ModelNames.IN_IMAGES, images)));
    for (int n : new int[] {1, 8}) {
      TensorProto.Builder bytes = TensorProto.newBuilder().setDtype(org.tensorflow.proto.DataType.DT_STRING)
          .setTensorShape(org.tensorflow.proto.TensorShapeProto.newBuilder()
              .addDim(org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(n)));
      for (int i = 0; i < n; i++) {
        bytes.addStringVal(ByteString.copyFrom(png));
      }
      out.add(new Request(modelName, org.ctnet.graph.ModelNames.SERVING_BYTES,
          Map.of(org.ctnet.graph.ModelNames.IN_IMAGE_BYTES, bytes.build())));
    }
    TensorProto classIndex = TensorProto.newBuilder().setDtype(org.tensorflow.proto.DataType.DT_INT32)
        .setTensorShape(org.tensorflow.proto.TensorShapeProto.newBuilder()
            .addDim(org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(1)))
        .addIntVal(-1).build();
    Map<String, TensorProto> explain = new LinkedHashMap<>();
    explain.put(org.ctnet.graph.ModelNames.IN_IMAGES, images);
    explain.put(org.ctnet.graph.ModelNames.IN_CLASS_INDEX, classIndex);
    out.add(new Request(modelName, org.ctnet.graph.ModelNames.EXPLAIN, explain));
    return out;
  }

  /** A mid-grey PNG of the model's input size: what warm-ups feed the bytes signature. */
  public static byte[] greyPng(int width, int height) throws IOException {
    java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(width, height,
        java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
    java.util.Arrays.fill(((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData(), (byte) 128);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    javax.imageio.ImageIO.write(image, "png", png);
    return png.toByteArray();
  }

  /** A float tensor in TensorFlow's packed little-endian layout. */
  public static TensorProto floatTensor(float[] values, long[] shape) {
    ByteBuffer content = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    content.asFloatBuffer().put(values);
    org.tensorflow.proto.TensorShapeProto.Builder dims = org.tensorflow.proto.TensorShapeProto.newBuilder();
    for (long d : shape) {
      dims.addDim(org.tensorflow.proto.TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return TensorProto.newBuilder().setDtype(org.tensorflow.proto.DataType.DT_FLOAT).setTensorShape(dims)
        .setTensorContent(ByteString.copyFrom(content.array())).build();
  }

  /** The dimensions of a tensor proto. */
  public static long[] shape(TensorProto t) {
    return t.getTensorShape().getDimList().stream().mapToLong(d -> d.getSize()).toArray();
  }

  /** A float tensor's values, from packed content or the repeated field (one value broadcasts, as in TF). */
  public static float[] floats(TensorProto t) throws IOException {
    if (t.getDtype() != org.tensorflow.proto.DataType.DT_FLOAT) {
      throw new IOException("expected a DT_FLOAT tensor, got " + t.getDtype());
    }
    long count = java.util.Arrays.stream(shape(t)).reduce(1, (a, b) -> a * b);
    if (count > 1L << 28) {
      throw new IOException("a warm-up tensor of " + count + " values");
    }
    float[] out = new float[(int) count];
    if (!t.getTensorContent().isEmpty()) {
      if (t.getTensorContent().size() != 4 * count) {
        throw new IOException("tensor content of " + t.getTensorContent().size() + " bytes for " + count + " floats");
      }
      t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    } else if (t.getFloatValCount() == count) {
      for (int i = 0; i < count; i++) {
        out[i] = t.getFloatVal(i);
      }
    } else if (t.getFloatValCount() == 1) {
      java.util.Arrays.fill(out, t.getFloatVal(0));
    } else if (count > 0) {
      throw new IOException(t.getFloatValCount() + " float values for a tensor of " + count);
    }
    return out;
  }

  /** TFRecord's masked CRC32C: rotate right by 15 bits, add a constant. */
  static int maskedCrc(byte[] data, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(data, offset, length);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + MASK_DELTA;
  }

  private static void writeRecord(OutputStream out, byte[] payload) throws IOException {
    byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(payload.length).array();
    ByteBuffer trailer = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
    out.write(length);
    out.write(trailer.putInt(0, maskedCrc(length, 0, 8)).array());
    out.write(payload);
    out.write(trailer.putInt(0, maskedCrc(payload, 0, payload.length)).array());
  }

  private static byte[] predictionLog(Request r) throws IOException {
    byte[] spec = message(o -> {
      o.writeString(MODEL_SPEC_NAME, r.modelName());
      o.writeString(MODEL_SPEC_SIGNATURE, r.signature());
    });
    byte[] request = message(o -> {
      o.writeByteArray(REQUEST_MODEL_SPEC, spec);
      for (var input : r.inputs().entrySet()) {
        o.writeByteArray(REQUEST_INPUTS, message(e -> {
          e.writeString(MAP_KEY, input.getKey());
          e.writeBytes(MAP_VALUE, input.getValue().toByteString());
        }));
      }
    });
    byte[] predictLog = message(o -> o.writeByteArray(PREDICT_LOG_REQUEST, request));
    return message(o -> o.writeByteArray(PREDICTION_LOG_PREDICT_LOG, predictLog));
  }

  private interface Fields {
    void write(CodedOutputStream out) throws IOException;
  }

  private static byte[] message(Fields fields) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    fields.write(out);
    out.flush();
    return bytes.toByteArray();
  }

  /** A message's length-delimited fields by number, in order (other wire types skipped). */
  private static Map<Integer, List<ByteString>> fields(ByteString message) throws IOException {
    Map<Integer, List<ByteString>> out = new LinkedHashMap<>();
    CodedInputStream in = message.newCodedInput();
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        out.computeIfAbsent(WireFormat.getTagFieldNumber(tag), k -> new ArrayList<>()).add(in.readBytes());
      } else {
        in.skipField(tag);
      }
    }
    return out;
  }

  private static ByteString last(Map<Integer, List<ByteString>> fields, int number) {
    List<ByteString> values = fields.get(number);
    return values == null ? null : values.get(values.size() - 1);
  }

  private static Request parsePredictionLog(byte[] data, int offset, int length, Path file) throws IOException {
    try {
      ByteString predictLog = last(fields(ByteString.copyFrom(data, offset, length)), PREDICTION_LOG_PREDICT_LOG);
      if (predictLog == null) {
        throw new IOException("a warm-up record that is not a predict log (this server replays predict requests only)");
      }
      ByteString request = last(fields(predictLog), PREDICT_LOG_REQUEST);
      if (request == null) {
        throw new IOException("a predict log without a request");
      }
      Map<Integer, List<ByteString>> requestFields = fields(request);
      ByteString spec = last(requestFields, REQUEST_MODEL_SPEC);
      Map<Integer, List<ByteString>> specFields = spec == null ? Map.of() : fields(spec);
      ByteString name = last(specFields, MODEL_SPEC_NAME);
      ByteString signature = last(specFields, MODEL_SPEC_SIGNATURE);
      Map<String, TensorProto> inputs = new LinkedHashMap<>();
      for (ByteString entry : requestFields.getOrDefault(REQUEST_INPUTS, List.of())) {
        Map<Integer, List<ByteString>> kv = fields(entry);
        ByteString key = last(kv, MAP_KEY);
        ByteString value = last(kv, MAP_VALUE);
        inputs.put(key == null ? "" : key.toStringUtf8(), TensorProto.parseFrom(value == null ? ByteString.EMPTY : value));
      }
      return new Request(name == null ? "" : name.toStringUtf8(),
          signature == null || signature.isEmpty() ? "serving_default" : signature.toStringUtf8(), inputs);
    } catch (IOException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}

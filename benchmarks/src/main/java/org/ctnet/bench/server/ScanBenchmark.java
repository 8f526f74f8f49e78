package org.ctnet.bench.server;


import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.runtime.ModelExport;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.scan.ScanScorer;
import org.ctnet.graph.scan.SeriesAssembler;
import org.ctnet.server.ServerApp;
import org.ctnet.server.config.ServerSettings;

/**
 * A whole scan end to end over HTTP: a synthetic 300-slice 512×512 CT series (zip of uncompressed
 * DICOM) posted to {@code /api/models/{m}/scan}, scored and its top slices explained; beside it, the
 * same series scored in process (the same-run reference: this machine's speed drifts).
 *
 * <pre>./dev java -cp benchmarks/target/benchmarks.jar org.ctnet.bench.server.ScanBenchmark [--slices 300] [--rounds 3]</pre>
 */
public final class ScanBenchmark {
  public static void main(String[] args) throws Exception {
    Path models = Path.of("saved_models");
    String model = "ctnet";
    int slices = 300;
    int rounds = 3;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--models" -> models = Path.of(args[++i]);
        case "--model" -> model = args[++i];
        case "--slices" -> slices = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    List<SeriesAssembler.Input> files = series(slices, 512);
    byte[] zip = zip(files);
    System.out.printf("series: %d slices of 512x512, zip %.1f MB%n", slices, zip.length / 1e6);
    Path version = models.resolve(model).resolve(Long.toString(ModelExport.latestVersion(models.resolve(model)).orElseThrow()));
    ServerSettings settings = ServerSettings.defaults(models).withPort(0).withHost("127.0.0.1").withPolling(0)
        .withLimits(1L << 30, 50_000_000L, 64, 4096).withDecodeBudget(2L << 30);
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    try (ServerApp app = new ServerApp(settings);
        LoadedModel inProcess = LoadedModel.load(version, ServerApp.SESSION_OPTIONS)) {
      URI uri = URI.create("http://127.0.0.1:" + app.start().port() + "/api/models/" + model + "/scan?method=gradcampp");
      HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "application/zip")
          .POST(HttpRequest.BodyPublishers.ofByteArray(zip)).build();
      List<Double> http = new ArrayList<>();
      List<Double> local = new ArrayList<>();
      for (int r = 0; r <= rounds; r++) { // round 0 warms both paths
        long start = System.nanoTime();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        double httpSeconds = (System.nanoTime() - start) / 1e9;
        if (response.statusCode() != 200) {
          throw new IllegalStateException("scan answered " + response.statusCode() + ": " + response.body());
        }
        start = System.nanoTime();
        var assembled = SeriesAssembler.assemble(files, DicomReader.DEFAULT_MAX_PIXELS).series().get(0);
        new ScanScorer(inProcess).score(assembled, DicomReader.DEFAULT_MAX_PIXELS, new ArrayList<>());
        double localSeconds = (System.nanoTime() - start) / 1e9;
        if (r > 0) {
          http.add(httpSeconds);
          local.add(localSeconds);
        }
        System.out.printf("round %d: HTTP (score + explain 3 top slices) %.2f s, in process (score only) %.2f s%n", r,
            httpSeconds, localSeconds);
      }
      double httpMedian = median(http);
      double localMedian = median(local);
      // Each round's ratio (the two paths back to back in one round), then their median and range:
      // steadier than a ratio of medians while this machine's speed drifts.
      List<Double> ratios = new ArrayList<>();
      for (int k = 0; k < http.size(); k++) {
        ratios.add(http.get(k) / local.get(k));
      }
      System.out.printf("HTTP / in process, round by round: median %.2f (range %.2f-%.2f)%n", median(ratios),
          ratios.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
          ratios.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN));
      // The stages of a scan, each alone on the same series and model (medians of the rounds).
      Stages stages = stages(zip, inProcess, rounds);
      // The floor: the network alone on as many slices, two session runs at a time like the scorer.
      int pixels = inProcess.spec().inputShape().pixels();
      float[] batch = new float[16 * pixels];
      java.util.concurrent.ExecutorService two = java.util.concurrent.Executors.newFixedThreadPool(2);
      long start = System.nanoTime();
      List<java.util.concurrent.Future<?>> runs = new ArrayList<>();
      for (int done = 0; done < slices; done += 16) {
        runs.add(two.submit(() -> inProcess.predict(batch, 16)));
      }
      for (var run : runs) {
        run.get();
      }
      two.shutdown();
      double modelSeconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("median over %d rounds: HTTP %.2f s (target < 5 s on 2 cores), in process %.2f s, ratio %.2f; "
          + "the network alone on %d slices: %.2f s (%.1f ms per slice)%n", rounds, httpMedian, localMedian,
          httpMedian / localMedian, slices, modelSeconds, 1000 * modelSeconds / slices);
      System.out.printf("unzip: through the central directory, entries side by side %.3f s; streamed, one after "
          + "another %.3f s (%.2fx)%n", stages.unzip(), stages.streamedUnzip(), stages.streamedUnzip() / stages.unzip());
      System.out.printf("stages alone (share of the HTTP median): unzip %.3f s (%.0f%%), series assembly %.3f s (%.0f%%), "
          + "decode + lung slices + network (the in-process scoring) %.3f s (%.0f%%) of which decoding and lung slices "
          + "%.3f s (%.0f%%) and the network %.3f s (%.0f%%), "
          + "explain 3 top slices %.3f s (%.0f%%); the rest (HTTP, copies, rendering, JSON) %.3f s (%.0f%%)%n",
          stages.unzip(), 100 * stages.unzip() / httpMedian, stages.assemble(), 100 * stages.assemble() / httpMedian,
          localMedian, 100 * localMedian / httpMedian, stages.decode(), 100 * stages.decode() / httpMedian, modelSeconds, 100 * modelSeconds / httpMedian, stages.explain(),
          100 * stages.explain() / httpMedian,
          httpMedian - stages.unzip() - localMedian - stages.explain(),
          100 * (httpMedian - stages.unzip() - localMedian - stages.explain()) / httpMedian);
    }
  }

  /** Median seconds of the stages that the in-process scoring does not include, or times apart. */
  record Stages(double unzip, double streamedUnzip, double assemble, double decode, double explain) {}

  static Stages stages(byte[] zip, LoadedModel model, int rounds) throws Exception {
    List<Double> unzip = new ArrayList<>();
    List<Double> streamed = new ArrayList<>();
    List<Double> assemble = new ArrayList<>();
    List<Double> decode = new ArrayList<>();
    List<Double> explain = new ArrayList<>();
    int pixels = model.spec().inputShape().pixels();
    float[] three = new float[3 * pixels];
    for (int r = 0; r < Math.max(1, rounds); r++) {
      long start = System.nanoTime();
      List<SeriesAssembler.Input> files = org.ctnet.graph.scan.SeriesInputs.fromZip(zip, 100_000, 4L << 30);
      unzip.add((System.nanoTime() - start) / 1e9);
      start = System.nanoTime();
      streamedUnzip(zip);
      streamed.add((System.nanoTime() - start) / 1e9);
      start = System.nanoTime();
      var series = SeriesAssembler.assemble(files, DicomReader.DEFAULT_MAX_PIXELS).series().get(0);
      assemble.add((System.nanoTime() - start) / 1e9);
      start = System.nanoTime();
      org.ctnet.graph.scan.DecodedSeries.decode(series, model.assets().preprocessing(), DicomReader.DEFAULT_MAX_PIXELS,
          new ArrayList<>());
      decode.add((System.nanoTime() - start) / 1e9);
      start = System.nanoTime();
      model.explain(three, 3, new int[] {-1, -1, -1});
      explain.add((System.nanoTime() - start) / 1e9);
    }
    return new Stages(median(unzip), median(streamed), median(assemble), median(decode), median(explain));
  }

  /** The reference the directory reader replaced: one ZipInputStream, entries inflated one after another. */
  static long streamedUnzip(byte[] zip) throws java.io.IOException {
    long bytes = 0;
    try (java.util.zip.ZipInputStream in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
      while (in.getNextEntry() != null) {
        bytes += in.readAllBytes().length;
      }
    }
    return bytes;
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** A chest-like series: body ellipse, two lungs that grow and shrink along z, a few dense spots. */
  static List<SeriesAssembler.Input> series(int slices, int side) {
    List<SeriesAssembler.Input> out = new ArrayList<>();
    Random random = new Random(3);
    for (int s = 0; s < slices; s++) {
      double lungScale = Math.sin(Math.PI * (s + 0.5) / slices);
      short[] hu = new short[side * side];
      double c = side / 2.0;
      for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++) {
          double body = Math.hypot(x - c, (y - c) * 1.3) / (0.45 * side);
          double left = Math.hypot(x - c * 0.6, y - c) / (0.17 * side * lungScale + 1e-6);
          double right = Math.hypot(x - c * 1.4, y - c) / (0.17 * side * lungScale + 1e-6);
          hu[y * side + x] = (short) (body > 1 ? -1000 : (left < 1 || right < 1) ? -820 + random.nextInt(40) : 40);
        }
      }
      out.add(new SeriesAssembler.Input("IM" + s, dicom(side, "1.2.826.0.1.3680043.9999." + slices, slices - s, 1.25 * s, hu)));
    }
    return out;
  }

  static byte[] dicom(int side, String seriesUid, int instance, double z, short[] hu) {
    ByteBuffer b = ByteBuffer.allocate(512 + side * side * 2).order(ByteOrder.LITTLE_ENDIAN);
    element(b, 0x0008, 0x0060, "CS", "CT");
    element(b, 0x0020, 0x000D, "UI", "1.2.826.0.1.3680043.9999");
    element(b, 0x0020, 0x000E, "UI", seriesUid);
    element(b, 0x0020, 0x0013, "IS", Integer.toString(instance));
    element(b, 0x0020, 0x0032, "DS", "-200\\-200\\" + z);
    element(b, 0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0");
    short[] us = {0x0002, 1, 0x0010, (short) side, 0x0011, (short) side, 0x0100, 16, 0x0101, 16, 0x0102, 15, 0x0103, 1};
    element(b, 0x0028, 0x0004, "CS", "MONOCHROME2");
    for (int i = 0; i < us.length; i += 2) {
      b.putShort((short) 0x0028).putShort(us[i]).put("US".getBytes(StandardCharsets.US_ASCII)).putShort((short) 2)
          .putShort(us[i + 1]);
    }
    element(b, 0x0028, 0x1052, "DS", "-1024");
    element(b, 0x0028, 0x1053, "DS", "1");
    b.putShort((short) 0x7FE0).putShort((short) 0x0010).put("OW".getBytes(StandardCharsets.US_ASCII)).putShort((short) 0)
        .putInt(side * side * 2);
    for (short v : hu) {
      b.putShort((short) (v + 1024));
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  private static void element(ByteBuffer b, int group, int element, String vr, String text) {
    byte[] raw = text.getBytes(StandardCharsets.US_ASCII);
    byte[] value = raw.length % 2 == 0 ? raw : Arrays.copyOf(raw, raw.length + 1);
    b.putShort((short) group).putShort((short) element).put(vr.getBytes(StandardCharsets.US_ASCII))
        .putShort((short) value.length).put(value);
  }

  private static byte[] zip(List<SeriesAssembler.Input> files) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (SeriesAssembler.Input f : files) {
        zip.putNextEntry(new ZipEntry("series/" + f.name()));
        zip.write(f.data());
        zip.closeEntry();
      }
    }
    return out.toByteArray();
  }
}

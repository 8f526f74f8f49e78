package org.ctnet.trainer.data;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import org.ctnet.graph.preprocess.ImageDecodeException;
import org.ctnet.graph.preprocess.ImagePreprocessor;

/**
 * Decodes and preprocesses a dataset once into model-input pixels held in memory (224×224 floats
 * are 200 KB an image). Unreadable files are skipped and listed, or fail the load when strict.
 */
public final class ImageStore {
  /** A file that could not be used, and why. */
  public record Skipped(Sample sample, String reason) {}

  private final Dataset dataset;
  private final float[][] pixels;
  private final int[] labels;
  private final List<Skipped> skipped;

  private ImageStore(Dataset dataset, float[][] pixels, int[] labels, List<Skipped> skipped) {
    this.dataset = dataset;
    this.pixels = pixels;
    this.labels = labels;
    this.skipped = skipped;
  }

  /**
   * @param strict fail on the first unreadable file instead of skipping it
   * @param progress called with the number of files done
   */
  public static ImageStore load(Dataset data, ImagePreprocessor preprocessor, boolean strict, IntConsumer progress)
      throws IOException {
    List<Sample> samples = data.samples();
    float[][] decoded = new float[samples.size()][];
    String[] errors = new String[samples.size()];
    int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      java.util.concurrent.atomic.AtomicInteger done = new java.util.concurrent.atomic.AtomicInteger();
      for (int i = 0; i < samples.size(); i++) {
        int index = i;
        futures.add(pool.submit(() -> {
          try {
            decoded[index] = preprocessor.toModelInput(Files.readAllBytes(samples.get(index).path()));
          } catch (ImageDecodeException e) {
            errors[index] = e.getMessage();
          } catch (IOException e) {
            errors[index] = "cannot read file: " + e;
          } catch (RuntimeException e) {
            errors[index] = "failed: " + e;
          }
          progress.accept(done.incrementAndGet());
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while loading images", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("loading images failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
    List<Sample> kept = new ArrayList<>();
    List<float[]> keptPixels = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      if (errors[i] != null) {
        if (strict) {
          throw new IOException("unreadable image " + samples.get(i).path() + ": " + errors[i]);
        }
        skipped.add(new Skipped(samples.get(i), errors[i]));
      } else {
        kept.add(samples.get(i));
        keptPixels.add(decoded[i]);
      }
    }
    Dataset keptData = data.subset(kept);
    return new ImageStore(keptData, keptPixels.toArray(new float[0][]), keptData.labels(), List.copyOf(skipped));
  }

  public Dataset dataset() {
    return dataset;
  }

  public int size() {
    return labels.length;
  }

  public float[] pixels(int i) {
    return pixels[i];
  }

  public int label(int i) {
    return labels[i];
  }

  public int[] labels() {
    return labels.clone();
  }

  public Sample sample(int i) {
    return dataset.samples().get(i);
  }

  public List<Skipped> skipped() {
    return skipped;
  }

  /**
   * The images of {@code part} (samples of this store's dataset; ones skipped at loading are left
   * out), sharing the decoded pixels.
   */
  public ImageStore subset(Dataset part) {
    java.util.Map<Sample, Integer> index = new java.util.HashMap<>();
    for (int i = 0; i < size(); i++) {
      index.put(sample(i), i);
    }
    List<Sample> kept = new ArrayList<>();
    List<float[]> keptPixels = new ArrayList<>();
    for (Sample s : part.samples()) {
      Integer i = index.get(s);
      if (i != null) {
        kept.add(s);
        keptPixels.add(pixels[i]);
      }
    }
    Dataset keptData = part.subset(kept);
    return new ImageStore(keptData, keptPixels.toArray(new float[0][]), keptData.labels(), List.of());
  }

  /** Copies images {@code indices} into one flat batch. */
  public float[] batch(int[] indices) {
    int n = pixels.length == 0 ? 0 : pixels[0].length;
    float[] out = new float[indices.length * n];
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(pixels[indices[i]], 0, out, i * n, n);
    }
    return out;
  }
}

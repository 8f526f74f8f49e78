package org.ctnet.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.ctnet.graph.runtime.ModelSession;
import org.ctnet.graph.runtime.Prediction;

/**
 * Micro-batching: concurrent predict requests are queued and grouped up to {@code maxBatchSize}
 * images before one session run, by a fixed number of platform worker threads (a TF call pins its
 * thread for its whole length, so the workers also bound inference concurrency). A batch waits up
 * to {@code maxBatchDelayMillis} for more requests only while another run is in progress. A full
 * queue rejects with 429 instead of growing.
 */
public final class Batcher implements AutoCloseable {
  private record Job(float[] images, int count, CompletableFuture<Prediction> result) {}

  private final ModelSession session;
  private final ServerSettings settings;
  private final Metrics metrics;
  private final String model;
  private final String version;
  private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger queuedImages = new AtomicInteger();
  /** Session runs in progress. */
  private final AtomicInteger running = new AtomicInteger();
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean open = true;

  Batcher(ModelSession session, ServerSettings settings, Metrics metrics, String model, long version) {
    this.session = session;
    this.settings = settings;
    this.metrics = metrics;
    this.model = model;
    this.version = Long.toString(version);
    for (int i = 0; i < settings.inferenceThreads(); i++) {
      Thread t = Thread.ofPlatform().daemon().name("batcher-" + model + "-" + version + "-" + i).start(this::work);
      workers.add(t);
    }
  }

  /** Queues n images ([n,H,W,C] flattened); completes with their prediction rows. */
  public CompletableFuture<Prediction> submit(float[] images, int count) {
    if (!open) {
      throw new ApiException(503, "model " + model + " version " + version + " is unloading; retry");
    }
    int after = queuedImages.addAndGet(count);
    if (after > settings.queueLimit()) {
      queuedImages.addAndGet(-count);
      metrics.rejected(model);
      throw new ApiException(429, "server is busy: " + (after - count) + " images queued (limit "
          + settings.queueLimit() + "); retry later");
    }
    CompletableFuture<Prediction> f = new CompletableFuture<>();
    queue.add(new Job(images, count, f));
    metrics.queueDepth(model, queuedImages.get());
    return f;
  }

  private void work() {
    while (open) {
      try {
        Job first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        List<Job> jobs = new ArrayList<>();
        jobs.add(first);
        int images = first.count();
        // Wait for company only while another session run keeps the cores busy anyway: an idle
        // server answers a lone request at once instead of adding the batch delay to it.
        boolean othersRunning = running.get() > 0;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.maxBatchDelayMillis());
        while (images < settings.maxBatchSize()) {
          long wait = othersRunning ? deadline - System.nanoTime() : 0;
          Job next = wait <= 0 ? queue.poll() : queue.poll(wait, TimeUnit.NANOSECONDS);
          if (next == null) {
            break;
          }
          jobs.add(next);
          images += next.count();
        }
        queuedImages.addAndGet(-images);
        metrics.queueDepth(model, queuedImages.get());
        running.incrementAndGet();
        try {
          run(jobs, images);
        } finally {
          running.decrementAndGet();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void run(List<Job> jobs, int images) {
    int pixels = jobs.get(0).images().length / jobs.get(0).count();
    float[] batch = new float[images * pixels];
    int offset = 0;
    for (Job j : jobs) {
      System.arraycopy(j.images(), 0, batch, offset, j.images().length);
      offset += j.images().length;
    }
    try {
      Prediction p = session.predict(batch, images);
      metrics.batch(model, version, images);
      int row = 0;
      for (Job j : jobs) {
        float[][] probs = new float[j.count()][];
        float[][] logits = new float[j.count()][];
        for (int i = 0; i < j.count(); i++) {
          probs[i] = p.probabilities()[row];
          logits[i] = p.logits()[row];
          row++;
        }
        j.result().complete(new Prediction(probs, logits));
      }
    } catch (RuntimeException e) {
      jobs.forEach(j -> j.result().completeExceptionally(e));
    }
  }

  public int queued() {
    return queuedImages.get();
  }

  @Override
  public void close() {
    open = false;
    for (Thread t : workers) {
      t.interrupt();
    }
    for (Thread t : workers) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Job j;
    while ((j = queue.poll()) != null) {
      j.result().completeExceptionally(new ApiException(503, "model version unloaded; retry"));
    }
  }
}

package org.ctnet.server.repository;

import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs every session call of one served version on a fixed number of platform worker threads, in
 * arrival order, with micro-batching.
 *
 * <p>Work comes in lanes (predict on pixels, predict on encoded images, explain, one-off calls);
 * jobs of one lane can share a session run up to the lane's batch size. A free worker takes the
 * lane whose oldest job is oldest, and waits up to {@code maxBatchDelayMillis} (counted from that
 * job's arrival) for more of the same lane only while another run keeps the cores busy anyway, so
 * a lone request on an idle server is answered at once. TF calls pin their thread for their whole
 * length, so running them here instead of on the request's virtual thread keeps the HTTP side
 * responsive and bounds inference concurrency. A full queue rejects with 429 instead of growing;
 * if a shared run fails, its jobs are retried one by one so a bad image fails only its request.
 */
final class InferenceScheduler implements AutoCloseable {

  /** Runs several jobs' inputs as one batch; returns one output per input, in order. */
  @FunctionalInterface
  interface BatchRun<I, O> {
    List<O> run(List<I> inputs, int images);
  }

  /** A kind of work whose jobs may share one session run. */
  final class Lane<I, O> {
    private final String name;
    private final int maxImages;
    private final BatchRun<I, O> run;
    private final ArrayDeque<Job<I, O>> jobs = new ArrayDeque<>();
    private int queuedImages;

    private Lane(String name, int maxImages, BatchRun<I, O> run) {
      this.name = name;
      this.maxImages = maxImages;
      this.run = run;
    }

    String name() {
      return name;
    }
  }

  /**
   * @param trace the submitting request's trace context (its queue wait and batch run become its spans)
   * @param arrivedAt when it was queued, for the queue-wait span
   */
  private record Job<I, O>(I input, int images, long arrived, CompletableFuture<O> result,
      io.opentelemetry.context.Context trace, java.time.Instant arrivedAt) {}

  private final ServerSettings settings;
  private final Metrics metrics;
  private final String model;
  private final String version;
  private final List<Lane<?, ?>> lanes = new ArrayList<>();
  private final List<Thread> workers = new ArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private int queuedImages;
  private int running;
  private boolean open = true;

  InferenceScheduler(ServerSettings settings, Metrics metrics, String model, long version) {
    this.settings = settings;
    this.metrics = metrics;
    this.model = model;
    this.version = Long.toString(version);
  }

  /** Declares a lane; call before {@link #start}. A batch size of 1 means no batching. */
  <I, O> Lane<I, O> lane(String name, int maxImages, BatchRun<I, O> run) {
    Lane<I, O> lane = new Lane<>(name, maxImages, run);
    lanes.add(lane);
    return lane;
  }

  InferenceScheduler start() {
    for (int i = 0; i < settings.inferenceThreads(); i++) {
      workers.add(Thread.ofPlatform().daemon().name("inference-" + model + "-" + version + "-" + i).start(this::work));
    }
    return this;
  }

  /** Queues a job of {@code images} images; completes with its share of the batch's output. */
  <I, O> CompletableFuture<O> submit(Lane<I, O> lane, I input, int images) {
    CompletableFuture<O> result = new CompletableFuture<>();
    lock.lock();
    try {
      if (!open) {
        throw new ServingException(Problem.UNAVAILABLE, "model " + model + " version " + version + " is unloading; retry");
      }
      if (queuedImages + images > settings.queueLimit() && queuedImages > 0) {
        metrics.rejected(model);
        throw new ServingException(Problem.QUEUE_FULL, "server is busy: " + queuedImages + " images queued (limit " + settings.queueLimit()
            + "); retry later");
      }
      lane.jobs.add(new Job<>(input, images, System.nanoTime(), result, io.opentelemetry.context.Context.current(),
          java.time.Instant.now()));
      lane.queuedImages += images;
      queuedImages += images;
      metrics.queueDepth(model, queuedImages);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    return result;
  }

  private void work() {
    while (true) {
      Lane<?, ?> lane;
      List<Job<?, ?>> batch;
      lock.lock();
      try {
        lane = nextLane();
        if (lane == null) {
          return; // closed
        }
        batch = take(lane);
        running++;
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
      try {
        runBatch(lane, batch);
      } finally {
        lock.lock();
        try {
          running--;
          changed.signalAll(); // a worker waiting for company stops waiting once the cores are free
        } finally {
          lock.unlock();
        }
      }
    }
  }

  /** Under the lock: waits for work and picks the lane with the oldest job; null once closed. */
  private Lane<?, ?> nextLane() throws InterruptedException {
    while (open) {
      Lane<?, ?> oldest = null;
      for (Lane<?, ?> l : lanes) {
        if (!l.jobs.isEmpty() && (oldest == null || l.jobs.peek().arrived() < oldest.jobs.peek().arrived())) {
          oldest = l;
        }
      }
      if (oldest == null) {
        changed.await();
        continue;
      }
      long deadline = oldest.jobs.peek().arrived() + TimeUnit.MILLISECONDS.toNanos(settings.maxBatchDelayMillis());
      long wait = deadline - System.nanoTime();
      if (oldest.queuedImages < oldest.maxImages && running > 0 && wait > 0) {
        changed.awaitNanos(wait); // then look again: the lane may be full, taken, or the cores free
        continue;
      }
      return oldest;
    }
    return null;
  }

  /** Under the lock: takes the lane's oldest jobs up to its batch size (at least one job). */
  private List<Job<?, ?>> take(Lane<?, ?> lane) {
    List<Job<?, ?>> batch = new ArrayList<>();
    int images = 0;
    while (!lane.jobs.isEmpty() && (batch.isEmpty() || images + lane.jobs.peek().images() <= lane.maxImages)) {
      Job<?, ?> job = lane.jobs.poll();
      batch.add(job);
      images += job.images();
    }
    lane.queuedImages -= images;
    queuedImages -= images;
    metrics.queueDepth(model, queuedImages);
    return batch;
  }

  @SuppressWarnings("unchecked")
  private <I, O> void runBatch(Lane<I, O> lane, List<Job<?, ?>> untyped) {
    List<Job<I, O>> batch = new ArrayList<>();
    untyped.forEach(j -> batch.add((Job<I, O>) j));
    batch.removeIf(j -> j.result().isDone()); // timed out and cancelled while queued
    if (batch.isEmpty()) {
      return;
    }
    org.ctnet.server.observe.Tracing tracing = org.ctnet.server.observe.Tracing.current();
    List<io.opentelemetry.api.trace.Span> runs = new ArrayList<>();
    if (tracing.enabled()) {
      java.time.Instant now = java.time.Instant.now();
      int images = batch.stream().mapToInt(Job::images).sum();
      for (Job<I, O> job : batch) {
        tracing.childFrom("queue wait", job.trace(), job.arrivedAt()).end(now);
        io.opentelemetry.api.trace.Span run = tracing.childFrom("batch run " + lane.name, job.trace(), now);
        run.setAttribute(org.ctnet.server.observe.Tracing.BATCH_SIZE, (long) images);
        run.setAttribute(org.ctnet.server.observe.Tracing.IMAGES, (long) job.images());
        runs.add(run);
      }
    }
    try {
      complete(lane, batch);
    } catch (Throwable e) { // a worker must outlive any failure; the requests get the error
      if (batch.size() == 1) {
        batch.get(0).result().completeExceptionally(e);
        return;
      }
      // One bad input must not fail the requests it happened to share a run with.
      for (Job<I, O> job : batch) {
        try {
          complete(lane, List.of(job));
        } catch (Throwable single) {
          job.result().completeExceptionally(single);
        }
      }
    } finally {
      runs.forEach(io.opentelemetry.api.trace.Span::end);
    }
  }

  private <I, O> void complete(Lane<I, O> lane, List<Job<I, O>> batch) {
    List<I> inputs = new ArrayList<>(batch.size());
    int images = 0;
    for (Job<I, O> job : batch) {
      inputs.add(job.input());
      images += job.images();
    }
    List<O> outputs = lane.run.run(inputs, images);
    metrics.batch(model, version, images);
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).result().complete(outputs.get(i));
    }
  }

  @Override
  public void close() {
    List<Job<?, ?>> orphans = new ArrayList<>();
    lock.lock();
    try {
      open = false;
      for (Lane<?, ?> lane : lanes) {
        orphans.addAll(lane.jobs);
        lane.jobs.clear();
        lane.queuedImages = 0;
      }
      queuedImages = 0;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    orphans.forEach(j -> j.result().completeExceptionally(new ServingException(Problem.UNAVAILABLE, "model version unloaded; retry")));
    for (Thread t : workers) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

package org.ctnet.server.repository;

import org.ctnet.server.problem.Problem;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.observe.Metrics;
import org.ctnet.server.problem.ServingException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Micro-batching, ordering, failure isolation and back-pressure of the inference scheduler. */
class InferenceSchedulerTest {
  private InferenceScheduler scheduler;

  private InferenceScheduler scheduler(int batchSize, int delayMillis, int threads, int queueLimit) {
    ServerSettings settings = ServerSettings.defaults(Path.of("unused")).withBatching(batchSize, delayMillis, threads)
        .withLimits(1 << 20, 1 << 20, 64, queueLimit);
    scheduler = new InferenceScheduler(settings, new Metrics(), "m", 1);
    return scheduler;
  }

  @AfterEach
  void close() {
    scheduler.close();
  }

  /** A lane computing 10 × each value, recording the number of images in each run. */
  private static InferenceScheduler.Lane<int[], int[]> timesTen(InferenceScheduler s, int batchSize, List<Integer> batches) {
    return s.lane("times-ten", batchSize, (inputs, images) -> {
      batches.add(images);
      List<int[]> out = new ArrayList<>();
      for (int[] input : inputs) {
        if (input.length > 0 && input[0] < 0) {
          throw new IllegalArgumentException("negative input " + input[0]);
        }
        int[] o = new int[input.length];
        for (int i = 0; i < input.length; i++) {
          o[i] = input[i] * 10;
        }
        out.add(o);
      }
      return out;
    });
  }

  /** A job occupying one worker, and how the test ends it. */
  private record Busy(CompletableFuture<Boolean> done, CountDownLatch release) {}

  /**
   * Declares a lane whose job blocks its worker, starts the scheduler (declare the test's lanes
   * first) and returns once that job runs, so the other workers see a busy run.
   */
  private static Busy startWithBusyWorker(InferenceScheduler s) throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    var blocking = s.lane("blocking", 1, (List<CountDownLatch> inputs, int images) -> {
      started.countDown();
      try {
        return List.of(inputs.get(0).await(30, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    s.start();
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Boolean> done = s.submit(blocking, release, 1);
    assertTrue(started.await(10, TimeUnit.SECONDS));
    return new Busy(done, release);
  }

  @Test
  void groupsQueuedJobsWhileAnotherRunIsBusyAndSplitsTheResults() throws Exception {
    InferenceScheduler s = scheduler(4, 60_000, 2, 256);
    List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
    var lane = timesTen(s, 4, batches);
    Busy busy = startWithBusyWorker(s);
    List<CompletableFuture<int[]>> results = new ArrayList<>();
    results.add(s.submit(lane, new int[] {1}, 1));
    results.add(s.submit(lane, new int[] {2, 3}, 2));
    results.add(s.submit(lane, new int[] {4}, 1)); // fills the batch of 4: runs at once
    assertEquals(List.of(10), List.of(results.get(0).get(10, TimeUnit.SECONDS)[0]));
    results.add(s.submit(lane, new int[] {5}, 1));
    results.add(s.submit(lane, new int[] {6}, 1)); // waits for company until the busy run ends
    Thread.sleep(200);
    assertTrue(!results.get(3).isDone(), "a partial batch waits while another run is busy");
    busy.release().countDown();
    assertTrue(busy.done().get(10, TimeUnit.SECONDS));
    assertEquals(20, results.get(1).get(10, TimeUnit.SECONDS)[0]);
    assertEquals(30, results.get(1).get()[1]);
    assertEquals(40, results.get(2).get()[0]);
    assertEquals(50, results.get(3).get(10, TimeUnit.SECONDS)[0]);
    assertEquals(60, results.get(4).get(10, TimeUnit.SECONDS)[0]);
    assertEquals(List.of(4, 2), batches);
  }

  @Test
  void aLoneJobOnAnIdleSchedulerDoesNotWaitForTheBatchDelay() throws Exception {
    InferenceScheduler s = scheduler(8, 600_000, 2, 256);
    var lane = timesTen(s, 8, new ArrayList<>());
    s.start();
    // the delay is ten minutes: completing at all shows that an idle server runs at once
    assertEquals(70, s.submit(lane, new int[] {7}, 1).get(30, TimeUnit.SECONDS)[0]);
  }

  @Test
  void aBadInputFailsOnlyItsOwnRequest() throws Exception {
    InferenceScheduler s = scheduler(4, 60_000, 2, 256);
    List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
    var lane = timesTen(s, 4, batches);
    Busy busy = startWithBusyWorker(s);
    CompletableFuture<int[]> good1 = s.submit(lane, new int[] {1}, 1);
    CompletableFuture<int[]> bad = s.submit(lane, new int[] {-1}, 1);
    CompletableFuture<int[]> good2 = s.submit(lane, new int[] {2}, 1);
    busy.release().countDown();
    assertEquals(10, good1.get(10, TimeUnit.SECONDS)[0]);
    assertEquals(20, good2.get(10, TimeUnit.SECONDS)[0]);
    ExecutionException e = assertThrows(ExecutionException.class, () -> bad.get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof IllegalArgumentException, e.toString());
    assertEquals(3, batches.get(0), "the three first shared one run");
  }

  @Test
  void runsTheOldestWorkFirstAcrossLanes() throws Exception {
    InferenceScheduler s = scheduler(8, 0, 1, 256);
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    var first = s.lane("first", 8, (List<String> in, int n) -> {
      order.addAll(in);
      return in;
    });
    var second = s.lane("second", 8, (List<String> in, int n) -> {
      order.addAll(in);
      return in;
    });
    Busy busy = startWithBusyWorker(s);
    CompletableFuture<String> b = s.submit(second, "b", 1);
    CompletableFuture<String> a = s.submit(first, "a", 1);
    CompletableFuture<String> c = s.submit(second, "c", 1);
    busy.release().countDown();
    CompletableFuture.allOf(a, b, c).get(10, TimeUnit.SECONDS);
    // "second" holds the oldest job, so its two jobs run (together) before "first"
    assertEquals(List.of("b", "c", "a"), order);
  }

  @Test
  void aFullQueueRejectsWith429AndClosingFailsQueuedJobsWith503() throws Exception {
    InferenceScheduler s = scheduler(4, 60_000, 1, 3);
    var lane = timesTen(s, 4, new ArrayList<>());
    Busy running = startWithBusyWorker(s);
    CompletableFuture<int[]> queued = s.submit(lane, new int[] {1, 2}, 2);
    ServingException full = assertThrows(ServingException.class, () -> s.submit(lane, new int[] {3, 4}, 2));
    assertEquals(Problem.QUEUE_FULL, full.problem());
    s.submit(lane, new int[] {5}, 1); // still within the limit of 3
    Thread closer = Thread.ofPlatform().start(s::close); // waits for the running job
    ExecutionException e = assertThrows(ExecutionException.class, () -> queued.get(10, TimeUnit.SECONDS));
    assertEquals(Problem.UNAVAILABLE, ((ServingException) e.getCause()).problem());
    assertEquals(Problem.UNAVAILABLE, assertThrows(ServingException.class, () -> s.submit(lane, new int[] {6}, 1)).problem());
    running.release().countDown();
    closer.join(10_000);
  }

  @Test
  void manyConcurrentClientsGetTheirOwnResults() throws Exception {
    InferenceScheduler s = scheduler(8, 2, 2, 100_000);
    List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
    var lane = timesTen(s, 8, batches);
    s.start();
    ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
    List<Future<?>> futures = new ArrayList<>();
    for (int c = 0; c < 32; c++) {
      futures.add(clients.submit(() -> {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < 100; i++) {
          int[] input = new int[1 + r.nextInt(3)];
          for (int k = 0; k < input.length; k++) {
            input[k] = r.nextInt(1000);
          }
          int[] out = s.submit(lane, input, input.length).get(30, TimeUnit.SECONDS);
          for (int k = 0; k < input.length; k++) {
            assertEquals(input[k] * 10, out[k]);
          }
        }
        return null;
      }));
    }
    for (Future<?> f : futures) {
      f.get(120, TimeUnit.SECONDS);
    }
    clients.shutdown();
    assertTrue(batches.stream().allMatch(b -> b <= 8), "no run over the batch size: " + batches);
    assertTrue(batches.size() < 32 * 100, "some runs were shared: " + batches.size() + " runs");
  }
}

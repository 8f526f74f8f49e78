package org.ctnet.server.inference;

import org.ctnet.graph.runtime.DecisionExplanation;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.ctnet.graph.runtime.Explanation;
import org.ctnet.graph.runtime.Smoothing;
import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ServedVersion;

/**
 * Scheduler futures awaited within the request timeout, their failures turned into typed problems
 * (timeout, queue full, bad input, internal).
 */
public final class SchedulerCalls {
  private final ServerSettings settings;

  public SchedulerCalls(ServerSettings settings) {
    this.settings = settings;
  }

  /**
   * The explain signature through the scheduler; flip smoothing runs as one two-pass call. A class index
   * of −1 explains the class served as the label (the locked decision's), so a label and its map agree
   * ({@link DecisionExplanation}): a second run only when some image's arg-max differs from its decision.
   */
  public Explanation explanation(ServedVersion served, float[] pixels, int count, int[] classes, boolean smooth) {
    return org.ctnet.server.observe.Tracing.current().inSpan("explain", () -> {
      Explanation first = run(served, pixels, count, classes, smooth);
      int[] again = DecisionExplanation.secondRun(served.predictor().assets(), classes, first);
      return again == null ? first : run(served, pixels, count, again, smooth);
    });
  }

  private Explanation run(ServedVersion served, float[] pixels, int count, int[] classes, boolean smooth) {
    return await(smooth
        ? served.call(() -> org.ctnet.graph.runtime.Smoothing.flipAveraged(served.predictor(), pixels, count, classes))
        : served.explain(pixels, classes));
  }

  /** A scheduler failure as the status a client should see (what {@link #await} does for one future). */
  public ServingException failure(Throwable cause) {
    if (cause instanceof TimeoutException) {
      return new ServingException(Problem.TIMEOUT, "inference timed out after " + settings.requestTimeoutMillis() + " ms");
    }
    if (cause instanceof ServingException api) {
      return api;
    }
    return new ServingException(Problem.INTERNAL, "inference failed: " + cause);
  }

  private static String firstLine(String message) {
    return message == null ? "invalid input" : message.lines().findFirst().orElse(message);
  }

  /**
   * The result within the request timeout, or the caller's own deadline when shorter; past it the
   * future is cancelled, so a job still queued is dropped before it runs (the caller has gone).
   */
  public <T> T await(java.util.concurrent.CompletableFuture<T> future) {
    long wait = org.ctnet.server.repository.RequestScope.remainingMillis(settings.requestTimeoutMillis());
    try {
      return future.get(wait, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new ServingException(Problem.TIMEOUT, org.ctnet.server.repository.RequestScope.callerDeadline(
          settings.requestTimeoutMillis()) ? "the caller's deadline passed before the inference ran; it was cancelled"
          : "inference timed out after " + settings.requestTimeoutMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServingException(Problem.UNAVAILABLE, "interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ServingException api) {
        throw api;
      }
      if (cause instanceof IllegalArgumentException bad) {
        throw ServingException.badRequest(bad.getMessage());
      }
      if (cause instanceof org.tensorflow.exceptions.TFInvalidArgumentException bad) {
        // TF refused the input itself, e.g. a PNG whose header is fine but whose data is corrupt.
        throw ServingException.badRequest("the model could not use the input: " + firstLine(bad.getMessage()));
      }
      throw new ServingException(Problem.INTERNAL, "inference failed: " + cause);
    }
  }
}

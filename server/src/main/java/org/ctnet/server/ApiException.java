package org.ctnet.server;

/**
 * A request that cannot be answered as asked, by kind; rendered as TF Serving's
 * {@code {"error": "..."}}. Code that throws names the kind of problem; {@link Problem} alone maps
 * kinds to HTTP statuses.
 */
public final class ApiException extends RuntimeException {
  /** What went wrong, and the one place its HTTP status is chosen. */
  public enum Problem {
    /** The request is malformed or asks for something impossible. */
    BAD_REQUEST(400),
    /** The bearer token is missing or wrong. */
    UNAUTHORIZED(401),
    /** No such model, version, label or route. */
    NOT_FOUND(404),
    /** A route that exists, asked with the wrong method. */
    METHOD_NOT_ALLOWED(405),
    /** The request body did not arrive in time. */
    BODY_TIMEOUT(408),
    /** The body, an image or a batch is over a configured limit. */
    TOO_LARGE(413),
    /** The inference queue is full: retry later. */
    QUEUE_FULL(429),
    /** A failure inside the server that the request did not cause. */
    INTERNAL(500),
    /** The server cannot take this now (no model loaded, budgets exhausted, shutting down): retry. */
    UNAVAILABLE(503),
    /** The answer took longer than the request timeout. */
    TIMEOUT(504);

    private final int status;

    Problem(int status) {
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  private final Problem problem;

  public ApiException(Problem problem, String message) {
    super(message);
    this.problem = problem;
  }

  public Problem problem() {
    return problem;
  }

  /** The HTTP status of this problem. */
  public int status() {
    return problem.status();
  }

  public static ApiException badRequest(String message) {
    return new ApiException(Problem.BAD_REQUEST, message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(Problem.NOT_FOUND, message);
  }
}

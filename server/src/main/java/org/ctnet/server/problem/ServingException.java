package org.ctnet.server.problem;

/** A request that cannot be answered as asked, with the kind of problem; rendered as {@code {"error": "..."}}. */
public final class ServingException extends RuntimeException {
  private final Problem problem;

  public ServingException(Problem problem, String message) {
    super(message);
    this.problem = problem;
  }

  public Problem problem() {
    return problem;
  }

  public static ServingException badRequest(String message) {
    return new ServingException(Problem.BAD_REQUEST, message);
  }

  public static ServingException notFound(String message) {
    return new ServingException(Problem.NOT_FOUND, message);
  }
}

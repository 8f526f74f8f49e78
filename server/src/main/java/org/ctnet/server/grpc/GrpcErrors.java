package org.ctnet.server.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.ctnet.server.problem.Problem;
import org.ctnet.server.problem.ServingException;

/** The one place where kinds of problem become gRPC status codes (as TF Serving and KServe use them). */
final class GrpcErrors {
  private GrpcErrors() {}

  static Status.Code code(Problem problem) {
    return switch (problem) {
      case BAD_REQUEST -> Status.Code.INVALID_ARGUMENT;
      case UNAUTHORIZED -> Status.Code.UNAUTHENTICATED;
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case METHOD_NOT_ALLOWED -> Status.Code.UNIMPLEMENTED;
      case BODY_TIMEOUT, TIMEOUT -> Status.Code.DEADLINE_EXCEEDED;
      case TOO_LARGE, QUEUE_FULL, RATE_LIMITED -> Status.Code.RESOURCE_EXHAUSTED;
      case INTERNAL -> Status.Code.INTERNAL;
      case UNAVAILABLE -> Status.Code.UNAVAILABLE;
      case UNPROCESSABLE -> Status.Code.FAILED_PRECONDITION;
    };
  }

  /** Any failure of a handler as the status its client gets. */
  static StatusRuntimeException of(Throwable failure) {
    if (failure instanceof StatusRuntimeException s) {
      return s;
    }
    if (failure instanceof ServingException e) {
      return Status.fromCode(code(e.problem())).withDescription(e.getMessage()).asRuntimeException();
    }
    if (failure instanceof IllegalArgumentException e) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    return Status.INTERNAL.withDescription("internal error: " + failure).withCause(failure).asRuntimeException();
  }
}

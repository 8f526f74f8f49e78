package org.ctnet.server.problem;

/**
 * What went wrong with a request, by kind. Code that refuses a request names the kind; only the HTTP
 * layer turns kinds into statuses ({@code org.ctnet.server.http.HttpErrors}).
 */
public enum Problem {
  /** The request is malformed or asks for something impossible. */
  BAD_REQUEST,
  /** The bearer token is missing or wrong. */
  UNAUTHORIZED,
  /** No such model, version, label or route. */
  NOT_FOUND,
  /** A route that exists, asked with the wrong method. */
  METHOD_NOT_ALLOWED,
  /** The request body did not arrive in time. */
  BODY_TIMEOUT,
  /** The body, an image or a batch is over a configured limit. */
  TOO_LARGE,
  /** The inference queue is full: retry later. */
  QUEUE_FULL,
  /** This client is over its request rate (per token, client certificate or address): retry later. */
  RATE_LIMITED,
  /** A failure inside the server that the request did not cause. */
  INTERNAL,
  /** The server cannot take this now (no model loaded, budgets exhausted, shutting down): retry. */
  UNAVAILABLE,
  /** The answer took longer than the request timeout. */
  TIMEOUT,
  /** A well-formed image the model cannot judge, refused because the request asked for strict input checks. */
  UNPROCESSABLE
}

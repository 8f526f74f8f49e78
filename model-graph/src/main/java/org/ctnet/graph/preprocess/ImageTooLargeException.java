package org.ctnet.graph.preprocess;

/** An image whose header declares more pixels (or decoded bytes) than the caller allows. */
public final class ImageTooLargeException extends ImageDecodeException {
  public ImageTooLargeException(String message) {
    super(message);
  }
}

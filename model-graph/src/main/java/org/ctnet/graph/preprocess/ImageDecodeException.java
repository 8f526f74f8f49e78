package org.ctnet.graph.preprocess;

import java.io.IOException;

/** An input that is not a readable image (or is too large to decode safely). */
public class ImageDecodeException extends IOException {
  public ImageDecodeException(String message) {
    super(message);
  }

  public ImageDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}

package org.ctnet.trainer.data;

/** Limits the CLI applies to every image it reads. */
public final class ImageLimits {
  private ImageLimits() {}

  /**
   * The most pixels (all frames together) an image may declare before it is refused unread: 64 Mi,
   * far above any CT slice, far below what would exhaust the heap.
   */
  public static final long MAX_PIXELS = 64L * 1024 * 1024;
}

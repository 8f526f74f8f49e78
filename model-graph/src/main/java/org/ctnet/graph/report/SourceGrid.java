package org.ctnet.graph.report;

import org.ctnet.graph.preprocess.BodyFrame;

/**
 * Carries a map made on the model input's grid back onto the source image's pixels: the input is the
 * source's frame region resized (TensorFlow's half-pixel bilinear resize), so each source pixel in the
 * frame samples the map at the same half-pixel coordinate, bilinearly; pixels outside the frame get 0.
 */
final class SourceGrid {
  private SourceGrid() {}

  /**
   * @param map levels 0..255 on the model grid, mapHeight × mapWidth, row-major
   * @param frame the source region that became the model input
   * @param rows source rows
   * @param columns source columns
   */
  static byte[] project(byte[] map, int mapHeight, int mapWidth, BodyFrame frame, int rows, int columns) {
    byte[] out = new byte[rows * columns];
    float scaleX = (float) mapWidth / frame.width();
    float scaleY = (float) mapHeight / frame.height();
    for (int y = frame.y(); y < Math.min(rows, frame.y() + frame.height()); y++) {
      float my = Math.max(0, Math.min(mapHeight - 1, (y - frame.y() + 0.5f) * scaleY - 0.5f));
      int y0 = (int) Math.floor(my);
      int y1 = Math.min(mapHeight - 1, y0 + 1);
      float fy = my - y0;
      for (int x = frame.x(); x < Math.min(columns, frame.x() + frame.width()); x++) {
        float mx = Math.max(0, Math.min(mapWidth - 1, (x - frame.x() + 0.5f) * scaleX - 0.5f));
        int x0 = (int) Math.floor(mx);
        int x1 = Math.min(mapWidth - 1, x0 + 1);
        float fx = mx - x0;
        float top = level(map, y0 * mapWidth + x0) * (1 - fx) + level(map, y0 * mapWidth + x1) * fx;
        float bottom = level(map, y1 * mapWidth + x0) * (1 - fx) + level(map, y1 * mapWidth + x1) * fx;
        out[y * columns + x] = (byte) Math.round(top * (1 - fy) + bottom * fy);
      }
    }
    return out;
  }

  private static int level(byte[] map, int i) {
    return map[i] & 0xff;
  }
}

package org.ctnet.graph.scan;

import org.ctnet.dicom.DicomHeader;
import org.ctnet.graph.preprocess.DicomDecoding;

import org.ctnet.dicom.DicomImage;
import org.ctnet.dicom.DicomReader;
import org.ctnet.graph.preprocess.ImageDecodeException;

/**
 * One slice of an assembled series. Only its header has been read: pixels are decoded when the
 * slice is scored, so a 300-slice series costs its compressed bytes plus one batch of pixels.
 *
 * @param source the file (and frame) it came from
 * @param data the file's bytes
 * @param header what the file's header says
 * @param frame which frame of the file
 * @param position where the slice lies along the series' normal (mm), or its order when the file
 *     carries no geometry
 */
public record SeriesSlice(String source, byte[] data, DicomHeader header, int frame, double position) {
  /** Decodes the file (all its frames) within the pixel limit. */
  public DicomImage decode(long maxPixels) throws ImageDecodeException {
    return DicomDecoding.read(data, maxPixels);
  }
}

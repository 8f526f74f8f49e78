package org.ctnet.graph.scan;

import org.ctnet.graph.preprocess.DicomImage;

/**
 * One slice of an assembled series.
 *
 * @param source the file (and frame) it came from
 * @param image the decoded DICOM image
 * @param frame which frame of {@code image}
 * @param position where the slice lies along the series' normal (mm), or its order when the file
 *     carries no geometry
 */
public record SeriesSlice(String source, DicomImage image, int frame, double position) {}

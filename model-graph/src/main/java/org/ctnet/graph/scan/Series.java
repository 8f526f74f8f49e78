package org.ctnet.graph.scan;

import java.util.List;

/**
 * The slices of one CT series, ordered along the body axis.
 *
 * @param studyUid StudyInstanceUID (empty when the files carry none)
 * @param seriesUid SeriesInstanceUID (empty when the files carry none)
 * @param description SeriesDescription
 * @param slices ordered by position along the slice normal, then InstanceNumber, then file name
 */
public record Series(String studyUid, String seriesUid, String description, List<SeriesSlice> slices) {
  public Series {
    slices = List.copyOf(slices);
  }
}

package org.ctnet.dicom.objects;

import org.ctnet.dicom.Tag;
import org.ctnet.dicom.write.DicomDataset;

/** A source instance a result refers to, with its series (for evidence and SEG's derivation). */
public record ImageReference(String seriesUid, String sopClassUid, String sopInstanceUid) {
  public DicomDataset item() {
    return new DicomDataset().text(Tag.REFERENCED_SOP_CLASS_UID, "UI", sopClassUid)
        .text(Tag.REFERENCED_SOP_INSTANCE_UID, "UI", sopInstanceUid);
  }
}

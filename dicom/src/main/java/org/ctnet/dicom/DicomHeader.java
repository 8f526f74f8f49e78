package org.ctnet.dicom;

/**
 * What the dataset says before its pixel data: geometry, modality, whether it holds pixels at all,
 * and the attributes that place it in a series.
 */
public record DicomHeader(DicomGeometry geometry, String modality, boolean hasPixels, DicomAttributes attributes,
    StudyContext context) {}

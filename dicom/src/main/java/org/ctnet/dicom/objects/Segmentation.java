package org.ctnet.dicom.objects;

import java.util.ArrayList;
import java.util.List;
import org.ctnet.dicom.Tag;
import org.ctnet.dicom.write.DicomDataset;

/**
 * A binary DICOM Segmentation (PS3.3 A.51, BINARY, 1 bit per pixel, frames packed back to back as
 * PS3.5 8.1.1 packs them): one segment, one frame per source slice that holds any of it, on the
 * source's own pixel grid and geometry, each frame derived from and referencing its source image.
 * Binary rather than fractional: a 500-slice study's SEG stays a few megabytes, and every viewer
 * draws it.
 */
public final class Segmentation {
  public static final String SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4";
  private static final Code SOURCE_FOR_PROCESSING =
      new Code("121322", "DCM", "Source image for image processing operation");
  private static final Code SEGMENTATION = new Code("113076", "DCM", "Segmentation");

  /**
   * One frame: the source slice it lies on and its fractional values.
   *
   * @param source the source image
   * @param position the source's ImagePositionPatient
   * @param inside rows × columns flags (non-zero: in the segment), row-major
   */
  public record Frame(ImageReference source, double[] position, byte[] inside) {}

  /**
   * What the segment is.
   *
   * @param label SegmentLabel
   * @param category SegmentedPropertyCategory
   * @param type SegmentedPropertyType
   * @param algorithm SegmentAlgorithmName
   */
  public record Segment(String label, Code category, Code type, String algorithm) {}

  /** The geometry the frames share with their source series. */
  public record Geometry(int rows, int columns, double[] orientation, String pixelSpacing, String sliceThickness,
      String frameOfReferenceUid) {}

  private Segmentation() {}

  public static DicomDataset dataset(DicomDataset header, Segment segment, Geometry g, List<Frame> frames,
      String description) {
    if (frames.isEmpty()) {
      throw new IllegalArgumentException("a segmentation needs at least one frame");
    }
    String dimensionUid = header.elements().containsKey(Tag.SOP_INSTANCE_UID)
        ? new String(header.elements().get(Tag.SOP_INSTANCE_UID).value(), java.nio.charset.StandardCharsets.US_ASCII)
            + ".1" : "1";
    if (dimensionUid.length() > 64) {
      dimensionUid = dimensionUid.substring(0, 62) + ".1";
    }
    int perFrame0 = g.rows() * g.columns();
    long bits = (long) frames.size() * perFrame0;
    byte[] pixels = new byte[(int) ((bits + 15) / 16 * 2)]; // even length
    List<DicomDataset> perFrame = new ArrayList<>();
    List<DicomDataset> referenced = new ArrayList<>();
    String series = frames.get(0).source().seriesUid();
    for (int f = 0; f < frames.size(); f++) {
      Frame frame = frames.get(f);
      if (frame.inside().length != perFrame0) {
        throw new IllegalArgumentException("frame " + f + " has " + frame.inside().length + " values, not "
            + g.rows() + "x" + g.columns());
      }
      for (int i = 0; i < perFrame0; i++) {
        if (frame.inside()[i] != 0) {
          long bit = (long) f * perFrame0 + i;
          pixels[(int) (bit >>> 3)] |= (byte) (1 << (bit & 7));
        }
      }
      DicomDataset source = frame.source().item()
          .sequence(Tag.PURPOSE_OF_REFERENCE_CODE_SEQUENCE, SOURCE_FOR_PROCESSING.item());
      perFrame.add(new DicomDataset()
          .sequence(Tag.DERIVATION_IMAGE_SEQUENCE, new DicomDataset()
              .sequence(Tag.SOURCE_IMAGE_SEQUENCE, source)
              .sequence(Tag.DERIVATION_CODE_SEQUENCE, SEGMENTATION.item()))
          .sequence(Tag.FRAME_CONTENT_SEQUENCE, new DicomDataset().uls(Tag.DIMENSION_INDEX_VALUES, 1, f + 1))
          .sequence(Tag.PLANE_POSITION_SEQUENCE, new DicomDataset()
              .texts(Tag.IMAGE_POSITION_PATIENT, "DS", decimals(frame.position())))
          .sequence(Tag.SEGMENT_IDENTIFICATION_SEQUENCE, new DicomDataset().us(Tag.REFERENCED_SEGMENT_NUMBER, 1)));
      referenced.add(frame.source().item());
    }
    DicomDataset shared = new DicomDataset()
        .sequence(Tag.PIXEL_MEASURES_SEQUENCE, new DicomDataset()
            .text(Tag.SLICE_THICKNESS, "DS", g.sliceThickness())
            .text(Tag.PIXEL_SPACING, "DS", g.pixelSpacing()))
        .sequence(Tag.PLANE_ORIENTATION_SEQUENCE, new DicomDataset()
            .texts(Tag.IMAGE_ORIENTATION_PATIENT, "DS", decimals(g.orientation())));
    DicomDataset segmentItem = new DicomDataset()
        .sequence(Tag.SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE, segment.category().item())
        .us(Tag.SEGMENT_NUMBER, 1)
        .text(Tag.SEGMENT_LABEL, "LO", segment.label())
        .text(Tag.SEGMENT_ALGORITHM_TYPE, "CS", "AUTOMATIC")
        .text(Tag.SEGMENT_ALGORITHM_NAME, "LO", segment.algorithm())
        .sequence(Tag.SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE, segment.type().item());
    return header
        .texts(Tag.IMAGE_TYPE, "CS", "DERIVED", "PRIMARY")
        .text(Tag.MANUFACTURER_MODEL_NAME, "LO", segment.algorithm())
        .text(Tag.DEVICE_SERIAL_NUMBER, "LO", "1")
        .sequence(Tag.REFERENCED_SERIES_SEQUENCE, new DicomDataset()
            .sequence(Tag.REFERENCED_INSTANCE_SEQUENCE, referenced)
            .text(Tag.SERIES_INSTANCE_UID, "UI", series))
        .text(Tag.FRAME_OF_REFERENCE_UID, "UI", g.frameOfReferenceUid())
        .empty(Tag.POSITION_REFERENCE_INDICATOR, "LO")
        .sequence(Tag.DIMENSION_ORGANIZATION_SEQUENCE, new DicomDataset()
            .text(Tag.DIMENSION_ORGANIZATION_UID, "UI", dimensionUid))
        .sequence(Tag.DIMENSION_INDEX_SEQUENCE,
            new DicomDataset().text(Tag.DIMENSION_ORGANIZATION_UID, "UI", dimensionUid)
                .at(Tag.DIMENSION_INDEX_POINTER, Tag.REFERENCED_SEGMENT_NUMBER)
                .at(Tag.FUNCTIONAL_GROUP_POINTER, Tag.SEGMENT_IDENTIFICATION_SEQUENCE),
            new DicomDataset().text(Tag.DIMENSION_ORGANIZATION_UID, "UI", dimensionUid)
                .at(Tag.DIMENSION_INDEX_POINTER, Tag.IMAGE_POSITION_PATIENT)
                .at(Tag.FUNCTIONAL_GROUP_POINTER, Tag.PLANE_POSITION_SEQUENCE))
        .us(Tag.SAMPLES_PER_PIXEL, 1)
        .text(Tag.PHOTOMETRIC_INTERPRETATION, "CS", "MONOCHROME2")
        .text(Tag.NUMBER_OF_FRAMES, "IS", Integer.toString(frames.size()))
        .us(Tag.ROWS, g.rows())
        .us(Tag.COLUMNS, g.columns())
        .us(Tag.BITS_ALLOCATED, 1)
        .us(Tag.BITS_STORED, 1)
        .us(Tag.HIGH_BIT, 0)
        .us(Tag.PIXEL_REPRESENTATION, 0)
        .text(Tag.LOSSY_IMAGE_COMPRESSION, "CS", "00")
        .text(Tag.SEGMENTATION_TYPE, "CS", "BINARY")
        .sequence(Tag.SEGMENT_SEQUENCE, segmentItem)
        .text(Tag.CONTENT_LABEL, "CS", "LESION")
        .text(Tag.CONTENT_DESCRIPTION, "LO", description)
        .empty(Tag.CONTENT_CREATOR_NAME, "PN")
        .sequence(Tag.SHARED_FUNCTIONAL_GROUPS_SEQUENCE, shared)
        .sequence(Tag.PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, perFrame)
        .bytes(Tag.PIXEL_DATA, "OB", pixels);
  }

  private static String[] decimals(double[] values) {
    String[] out = new String[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = StructuredReport.decimal(values[i]);
    }
    return out;
  }

}

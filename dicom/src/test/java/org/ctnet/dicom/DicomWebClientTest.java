package org.ctnet.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ctnet.dicom.testing.OrthancServer;
import org.ctnet.dicom.testing.SyntheticCt;
import org.ctnet.dicom.web.DicomJson;
import org.ctnet.dicom.web.DicomWebClient;
import org.ctnet.dicom.web.Multipart;
import org.ctnet.dicom.write.Uids;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QIDO-RS, WADO-RS and STOW-RS against a real Orthanc; multipart bodies read back part by part. */
class DicomWebClientTest {
  @TempDir Path dir;

  @Test
  void multipartRoundTripsPartsWhateverTheirBytes() throws Exception {
    byte[] a = "--not-the-boundary\r\n--".getBytes();
    byte[] b = new byte[200_000];
    new java.util.Random(7).nextBytes(b);
    Multipart.Body body = Multipart.dicom(List.of(a, b, new byte[0]));
    List<byte[]> back = new ArrayList<>();
    int n = Multipart.read(new ByteArrayInputStream(body.bytes()), body.contentType(), 1 << 20,
        p -> back.add(p.data()));
    assertEquals(3, n);
    assertArrayEquals(a, back.get(0));
    assertArrayEquals(b, back.get(1));
    assertEquals(0, back.get(2).length);
    var tooBig = assertThrows(Multipart.MultipartException.class, () -> Multipart.read(
        new ByteArrayInputStream(body.bytes()), body.contentType(), 1000, p -> { }));
    assertTrue(tooBig.getMessage().contains("larger than 1000 bytes"), tooBig.getMessage());
    var cut = assertThrows(Multipart.MultipartException.class, () -> Multipart.read(
        new ByteArrayInputStream(java.util.Arrays.copyOf(body.bytes(), 1000)), body.contentType(), 1 << 20, p -> { }));
    assertTrue(cut.getMessage().contains("ends inside a part"), cut.getMessage());
  }

  @Test
  void searchesRetrievesAndStoresAgainstOrthanc() throws Exception {
    try (OrthancServer pacs = OrthancServer.start(dir, Map.of())) {
      Uids uids = new Uids(Uids.UUID_ROOT);
      String study = uids.next();
      String series = uids.next();
      List<byte[]> slices = SyntheticCt.series(new SyntheticCt.Patient("Doe^Jane", "P-1", "19700101", "A-1"), study,
          series, 4, 64);
      for (byte[] s : slices) {
        pacs.upload(s);
      }
      DicomWebClient client = new DicomWebClient(DicomWebClient.Settings.of(pacs.dicomWeb()));
      var found = client.searchStudies(Map.of("ModalitiesInStudy", "CT", "StudyDate", "20200101-"));
      assertEquals(1, found.size());
      assertEquals(study, DicomJson.string(found.get(0), Tag.STUDY_INSTANCE_UID));
      assertTrue(client.searchStudies(Map.of("StudyDate", "20210101-")).isEmpty());
      List<byte[]> retrieved = new ArrayList<>();
      assertEquals(4, client.retrieveSeries(study, series, 1 << 20, retrieved::add));
      for (byte[] r : retrieved) {
        DicomImage image = DicomReader.read(r);
        assertEquals(series, image.attributes().seriesUid());
        assertEquals(-1000, image.hounsfield()[0], 1e-9);
      }
      // STOW-RS: one slice stored again; the answer references it.
      var stored = client.store(study, List.of(slices.get(0)));
      assertEquals(DicomReader.header(slices.get(0)).attributes().sopInstanceUid(),
          DicomJson.string(stored.path(DicomJson.tag(Tag.REFERENCED_SOP_SEQUENCE)).path("Value").path(0),
              Tag.REFERENCED_SOP_INSTANCE_UID), "the store answer names the instance: " + stored);
      var missing = assertThrows(DicomWebClient.DicomWebException.class,
          () -> client.retrieveSeries(study, uids.next(), 1 << 20, b -> { }));
      assertEquals(404, missing.status(), missing.getMessage());
      assertTrue(!missing.getMessage().contains("Doe"), missing.getMessage());
    }
  }

  @Test
  void connectionFailuresAreRetriedThenNamed() {
    var settings = DicomWebClient.Settings.of(java.net.URI.create("http://127.0.0.1:1/dicom-web"))
        .withTimeout(java.time.Duration.ofSeconds(2), 2, java.time.Duration.ofMillis(10));
    var e = assertThrows(DicomWebClient.DicomWebException.class,
        () -> new DicomWebClient(settings).searchStudies(Map.of()));
    assertTrue(e.getMessage().contains("GET /studies") && e.getMessage().contains("after 3 attempts"), e.getMessage());
  }
}

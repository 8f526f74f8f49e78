package org.ctnet.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.ctnet.dicom.DicomReader;
import org.ctnet.dicom.Tag;
import org.ctnet.dicom.testing.DicomTools;
import org.ctnet.dicom.testing.OrthancServer;
import org.ctnet.dicom.testing.SyntheticCt;
import org.ctnet.dicom.write.Uids;
import org.ctnet.graph.report.ResultObjects;
import org.ctnet.graph.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ctnet pacs} against a real Orthanc: studies pulled, scored, and their results stored back into them. */
class PacsPullTest {
  @TempDir Path dir;

  /** The shipped lesion model (heatmaps and lesion maps in the captures). */
  static Path shippedModel() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path m = d.resolve("saved_models/ctnet-lesion/1");
      if (Files.isRegularFile(m.resolve("saved_model.pb"))) {
        return m;
      }
    }
    throw new IllegalStateException("saved_models/ctnet-lesion/1 not found above " + Path.of("").toAbsolutePath());
  }

  @Test
  void aStudyGetsItsReportAndCapturesBackAndIsNotAnsweredTwice() throws Exception {
    try (OrthancServer pacs = OrthancServer.start(dir.resolve("orthanc"), Map.of())) {
      Uids uids = new Uids(Uids.UUID_ROOT);
      String study = uids.next();
      SyntheticCt.Patient patient = new SyntheticCt.Patient("Zqxname^Wvyfirst", "ZQX-PID-93127", "19610417",
          "ZQX-ACC-5531");
      for (byte[] slice : SyntheticCt.series(patient, study, uids.next(), 12, 128)) {
        pacs.upload(slice);
      }
      CliTest.Run first = CliTest.run("pacs", "--model", shippedModel().toString(), "--pacs",
          pacs.dicomWeb().toString(), "--since", "20200101", "--fhir-out", dir.resolve("fhir").toString());
      assertEquals(0, first.exitCode(), first.out() + first.err());
      assertTrue(first.out().contains("1 study found") && first.out().contains("objects stored"), first.out());
      for (String identifier : List.of("Zqxname", "Wvyfirst", "ZQX-PID", "ZQX-ACC", "19610417")) {
        assertFalse((first.out() + first.err()).contains(identifier), "identifier in the CLI's output: " + identifier);
      }
      List<byte[]> reports = pacs.instancesOf(study, "SR");
      List<byte[]> captures = pacs.instancesOf(study, "OT");
      assertEquals(1, reports.size());
      Path sr = DicomTools.assertValid(dir, "sr.dcm", reports.get(0));
      for (int i = 0; i < captures.size(); i++) {
        DicomTools.assertValid(dir, "sc" + i + ".dcm", captures.get(i));
      }
      for (byte[] seg : pacs.instancesOf(study, "SEG")) {
        DicomTools.assertValid(dir, "seg.dcm", seg);
      }
      var header = DicomReader.header(reports.get(0));
      assertEquals("ZQX-PID-93127", header.context().text(Tag.PATIENT_ID), "filed under the source's patient");
      assertEquals(study, header.attributes().studyUid());
      String dump = DicomTools.dsrdump(sr).output();
      assertTrue(dump.contains(ResultObjects.RESEARCH_ONLY), dump);
      assertTrue(dump.contains("Lung involvement") && dump.contains("CT severity category"), dump);
      assertTrue(dump.contains("(52101004,SCT,\"Present\")") || dump.contains("(2667000,SCT,\"Absent\")"), dump);
      long referenced = dump.lines().filter(l -> l.contains("contains IMAGE")).count();
      assertTrue(referenced >= 1 && referenced <= org.ctnet.graph.scan.ScanScorer.ScanResult.EXPLAINED_SLICES, dump);
      assertEquals(referenced + 1, captures.size(), "a capture per referenced top slice, and the strip");

      // The FHIR Bundle says what the SR says: the same verdict, the study and the patient.
      var bundle = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("fhir").resolve(study + ".fhir.json")
          .toFile());
      assertEquals("Bundle", bundle.path("resourceType").asText());
      var resources = new java.util.ArrayList<com.fasterxml.jackson.databind.JsonNode>();
      bundle.path("entry").forEach(e -> resources.add(e.path("resource")));
      var report = resources.stream().filter(r -> r.path("resourceType").asText().equals("DiagnosticReport")).findFirst()
          .orElseThrow();
      assertEquals("preliminary", report.path("status").asText());
      assertEquals("urn:oid:" + study, report.path("imagingStudy").path(0).path("identifier").path("value").asText());
      assertEquals("ZQX-PID-93127", report.path("subject").path("identifier").path("value").asText());
      assertEquals(resources.size() - 1, report.path("result").size(), "every observation is a result of the report");
      var covid = resources.stream().filter(r -> r.path("code").path("coding").path(0).path("code").asText()
          .equals("840539006")).findFirst().orElseThrow();
      String present = covid.path("valueCodeableConcept").path("coding").path(0).path("code").asText();
      assertTrue(dump.contains("(" + present + ",SCT,"), "FHIR and SR agree: " + present + "\n" + dump);

      CliTest.Run again = CliTest.run("pacs", "--model", shippedModel().toString(), "--pacs",
          pacs.dicomWeb().toString(), "--study", study);
      assertEquals(0, again.exitCode(), again.out() + again.err());
      assertTrue(again.out().contains("already answered"), again.out());
      assertEquals(1, pacs.instancesOf(study, "SR").size());
    }
  }

  @Test
  void badArgumentsAndAnUnreachablePacsAreClearErrors() {
    CliTest.Run date = CliTest.run("pacs", "--model", shippedModel().toString(), "--pacs", "http://127.0.0.1:1/dw",
        "--since", "2020-01-01");
    assertEquals(2, date.exitCode(), date.out() + date.err());
    assertTrue(date.err().contains("YYYYMMDD"), date.err());
    CliTest.Run down = CliTest.run("pacs", "--model", shippedModel().toString(), "--pacs", "http://127.0.0.1:1/dw",
        "--since", "20200101", "--retries", "1", "--timeout", "2");
    assertTrue(down.exitCode() != 0, down.out());
    assertTrue(down.err().contains("GET /studies") && down.err().contains("after 2 attempts"), down.err());
  }

  /** The shared scanner series: every study answered, and the report's verdict is predict --scans' verdict. */
  @Test
  void scannerSeriesVerdictsEqualPredictScans() throws Exception {
    Path data = SharedData.require("covid-ct-md-dicom-dev");
    try (OrthancServer pacs = OrthancServer.start(dir.resolve("orthanc"), Map.of());
        Stream<Path> files = Files.walk(data)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".dcm")).toList()) {
        pacs.upload(Files.readAllBytes(f));
      }
      CliTest.Run pulled = CliTest.run("pacs", "--model", shippedModel().toString(), "--pacs",
          pacs.dicomWeb().toString(), "--since", "19000101");
      assertEquals(0, pulled.exitCode(), pulled.out() + pulled.err());
      CliTest.Run predicted = CliTest.run("predict", "--model", shippedModel().toString(), "--scans", "--input",
          data.toString(), "--output", dir.resolve("slices.csv").toString(), "--scan-output",
          dir.resolve("scans.csv").toString());
      assertEquals(0, predicted.exitCode(), predicted.out() + predicted.err());
      List<String> rows = Files.readAllLines(dir.resolve("scans.csv")).subList(1, 4);
      int segmentations = 0;
      for (var study : pacs.get("/studies?expand")) {
        String uid = study.path("MainDicomTags").path("StudyInstanceUID").asText();
        List<byte[]> reports = pacs.instancesOf(uid, "SR");
        assertEquals(1, reports.size(), "one report in study " + uid);
        Path sr = DicomTools.assertValid(dir, uid + ".dcm", reports.get(0));
        for (byte[] capture : pacs.instancesOf(uid, "OT")) {
          DicomTools.assertValid(dir, uid + "-sc.dcm", capture);
        }
        for (byte[] seg : pacs.instancesOf(uid, "SEG")) {
          DicomTools.assertValid(dir, uid + "-seg.dcm", seg);
          segmentations++;
        }
        String dump = DicomTools.dsrdump(sr).output();
        String series = dump.lines().filter(l -> l.contains("Scored series")).findFirst().orElseThrow();
        String row = rows.stream().filter(r -> series.contains(r.split(",")[0])).findFirst().orElseThrow(
            () -> new AssertionError("no predict --scans row for " + series + " in " + rows));
        boolean positive = Boolean.parseBoolean(row.split(",")[2]);
        assertTrue(dump.contains(positive ? "(52101004,SCT,\"Present\")" : "(2667000,SCT,\"Absent\")"),
            row + "\n" + dump);
        String probability = String.format(java.util.Locale.ROOT, "%.4f", Double.parseDouble(row.split(",")[1]));
        assertTrue(pulled.out().contains("P=" + probability), "probability " + probability + " in\n" + pulled.out());
      }
      assertTrue(segmentations >= 1, "the lesion model finds lesion somewhere in the scanner series: a SEG");
    }
  }
}

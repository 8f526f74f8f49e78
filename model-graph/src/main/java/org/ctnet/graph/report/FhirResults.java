package org.ctnet.graph.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.UUID;

/**
 * A study's results as FHIR R4 for hospitals that integrate through FHIR: a collection Bundle with one
 * DiagnosticReport per scored series (status preliminary: an automated, unverified result) and its
 * Observations — the COVID-19 finding (SNOMED CT, present/absent), the probability, and with a lesion
 * head the lung involvement and severity. The study is named by its StudyInstanceUID, the patient by
 * the source's PatientID: the same identifiers the DICOM report carries.
 */
public final class FhirResults {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final String SNOMED = "http://snomed.info/sct";
  static final String LOINC = "http://loinc.org";
  static final String UCUM = "http://unitsofmeasure.org";

  private FhirResults() {}

  public static String bundle(List<ResultObjects.Finding> findings, ResultObjects.Settings settings) {
    ObjectNode bundle = JSON.createObjectNode().put("resourceType", "Bundle").put("type", "collection");
    ArrayNode entries = bundle.putArray("entry");
    for (ResultObjects.Finding f : findings) {
      List<String> observations = new java.util.ArrayList<>();
      ObjectNode finding = observation(f, "COVID-19 finding");
      finding.set("code", concept(SNOMED, "840539006", "COVID-19"));
      finding.set("valueCodeableConcept", f.positive() ? concept(SNOMED, "52101004", "Present")
          : concept(SNOMED, "2667000", "Absent"));
      observations.add(add(entries, finding));
      ObjectNode probability = observation(f, "COVID-19 probability");
      probability.set("code", text("COVID-19 probability (CT-Net)"));
      probability.set("valueQuantity", quantity(f.probability(), "1"));
      probability.putArray("referenceRange").addObject().put("text", "locked decision threshold "
          + f.threshold());
      observations.add(add(entries, probability));
      if (!Double.isNaN(f.involvement())) {
        ObjectNode involvement = observation(f, "Lung involvement");
        involvement.set("code", text("Lung involvement (share of the lung field with lesion, CT-Net)"));
        involvement.set("valueQuantity", quantity(100 * f.involvement(), "%"));
        observations.add(add(entries, involvement));
        ObjectNode severity = observation(f, "CT severity category");
        severity.set("code", text("CT severity category (CT-0..CT-4)"));
        severity.put("valueString", f.severity());
        observations.add(add(entries, severity));
      }
      ObjectNode report = JSON.createObjectNode().put("resourceType", "DiagnosticReport").put("status", "preliminary");
      report.putArray("category").add(concept("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology"));
      report.set("code", concept(LOINC, "18748-4", "Diagnostic imaging Report"));
      subject(report, f);
      report.putArray("imagingStudy").add(study(f));
      report.putArray("identifier").addObject().put("system", "urn:dicom:uid").put("value", "urn:oid:" + f.seriesUid());
      ArrayNode results = report.putArray("result");
      observations.forEach(ref -> results.addObject().put("reference", ref));
      report.put("conclusion", (f.positive() ? "COVID-19 pattern called" : "No COVID-19 pattern called")
          + String.format(java.util.Locale.ROOT, " by %s (probability %.4f, threshold %.4f). ", settings.software(),
              f.probability(), f.threshold()) + ResultObjects.RESEARCH_ONLY);
      add(entries, report);
    }
    try {
      return JSON.writeValueAsString(bundle);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode observation(ResultObjects.Finding f, String title) {
    ObjectNode o = JSON.createObjectNode().put("resourceType", "Observation").put("status", "preliminary");
    o.putArray("category").add(concept("http://terminology.hl7.org/CodeSystem/observation-category", "imaging",
        "Imaging"));
    subject(o, f);
    o.putArray("derivedFrom").add(study(f));
    o.putArray("note").addObject().put("text", title + ". " + ResultObjects.RESEARCH_ONLY);
    return o;
  }

  /** The patient, when the study names one (a logical reference by the source's PatientID). */
  private static void subject(ObjectNode resource, ResultObjects.Finding f) {
    if (f.patientId() != null && !f.patientId().isEmpty()) {
      resource.putObject("subject").put("type", "Patient").putObject("identifier").put("value", f.patientId());
    }
  }

  /** The imaging study, by its DICOM StudyInstanceUID (a logical reference). */
  private static ObjectNode study(ResultObjects.Finding f) {
    ObjectNode ref = JSON.createObjectNode().put("type", "ImagingStudy");
    ref.putObject("identifier").put("system", "urn:dicom:uid").put("value", "urn:oid:" + f.studyUid());
    return ref;
  }

  private static String add(ArrayNode entries, ObjectNode resource) {
    String url = "urn:uuid:" + UUID.randomUUID();
    entries.addObject().put("fullUrl", url).set("resource", resource);
    return url;
  }

  private static ObjectNode concept(String system, String code, String display) {
    ObjectNode c = JSON.createObjectNode();
    c.putArray("coding").addObject().put("system", system).put("code", code).put("display", display);
    c.put("text", display);
    return c;
  }

  private static ObjectNode text(String text) {
    return JSON.createObjectNode().put("text", text);
  }

  private static ObjectNode quantity(double value, String unit) {
    return JSON.createObjectNode().put("value", value).put("unit", unit).put("system", UCUM).put("code", unit);
  }
}

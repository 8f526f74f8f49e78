package org.ctnet.server.pacs;

import org.ctnet.dicom.DicomHeader;
import org.ctnet.server.config.PacsSettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.ctnet.dicom.DicomFormatException;
import org.ctnet.dicom.DicomReader;
import org.ctnet.dicom.Tag;
import org.ctnet.dicom.web.DicomJson;
import org.ctnet.dicom.web.DicomWebClient;
import org.ctnet.dicom.web.Multipart;
import org.ctnet.dicom.write.Uids;
import org.ctnet.graph.report.ResultObjects;
import org.ctnet.graph.report.StudyResults;
import org.ctnet.server.inference.ImageInference;
import org.ctnet.server.problem.ServingException;

/**
 * STOW-RS in, DICOM results out: instances are streamed from the request into the spool one at a
 * time (memory bounded by one instance), each answered in the store response; a study with no new
 * instance for the quiet period (or asked for) is scored and its results stored into the configured
 * PACS. Logs name studies by UID only: never a patient.
 */
public final class StowService implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(StowService.class.getName());
  /** Failure reasons of PS3.18 10.5.3 (Store Instances Response). */
  static final int CANNOT_UNDERSTAND = 0xC000;
  static final int TRANSFER_SYNTAX_NOT_SUPPORTED = 0xC122;
  static final int OUT_OF_RESOURCES = 0xA700;
  static final int DOES_NOT_MATCH = 0xA900;
  private static final int RECENT = 50;

  /** A study answered: when, what it said, and where its report is. */
  public record Answered(String studyUid, Instant at, List<String> verdicts, int objects, String reportUid) {}

  private final PacsSettings settings;
  private final StudySpool spool;
  private final ImageInference inference;
  private final DicomWebClient pacs;
  private final Uids uids;
  private final Deque<Answered> recent = new ArrayDeque<>();
  private final ScheduledExecutorService answering = Executors.newSingleThreadScheduledExecutor(
      r -> Thread.ofPlatform().daemon().name("stow-answer").unstarted(r));

  public StowService(PacsSettings settings, ImageInference inference) throws IOException {
    this.settings = settings;
    this.inference = inference;
    this.spool = new StudySpool(settings);
    this.uids = new Uids(settings.uidRoot());
    DicomWebClient.Settings s = DicomWebClient.Settings.of(settings.url());
    if (settings.tokenFile() != null) {
      s = s.withAuthorization(DicomWebClient.bearerFromFile(settings.tokenFile()));
    } else if (settings.basicAuthFile() != null) {
      s = s.withAuthorization(DicomWebClient.basicFromFile(settings.basicAuthFile()));
    }
    if (settings.caFile() != null) {
      s = s.withTls(DicomWebClient.trusting(settings.caFile()));
    }
    this.pacs = new DicomWebClient(s);
    answering.scheduleWithFixedDelay(this::answerDue, 200, 200, TimeUnit.MILLISECONDS);
  }

  /**
   * Stores the instances of a multipart/related body (into {@code studyUid} when the path names one:
   * others are refused). Returns the STOW-RS response and whether every, some or no instance was stored.
   */
  public record StoreResponse(int status, JsonNode body) {}

  public StoreResponse store(InputStream body, String contentType, String studyUid) throws IOException {
    List<ObjectNode> stored = new ArrayList<>();
    List<ObjectNode> failed = new ArrayList<>();
    try {
      Multipart.read(body, contentType, settings.maxInstanceBytes(), part -> {
        String type = part.contentType();
        if (!type.isEmpty() && !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/dicom")) {
          failed.add(failure("", "", CANNOT_UNDERSTAND));
          return;
        }
        DicomHeader header;
        try {
          header = DicomReader.header(part.data());
        } catch (DicomFormatException e) {
          failed.add(failure("", "", e.getMessage().contains("transfer syntax") ? TRANSFER_SYNTAX_NOT_SUPPORTED
              : CANNOT_UNDERSTAND));
          return;
        }
        var a = header.attributes();
        if (a.studyUid().isEmpty() || !a.sopInstanceUid().matches("[0-9.]{1,64}")
            || !a.studyUid().matches("[0-9.]{1,64}") || (studyUid != null && !studyUid.equals(a.studyUid()))) {
          failed.add(failure(a.sopClassUid(), a.sopInstanceUid(), DOES_NOT_MATCH));
          return;
        }
        try {
          spool.add(a.studyUid(), a.sopInstanceUid(), part.data());
          stored.add(reference(a.sopClassUid(), a.sopInstanceUid()));
        } catch (StudySpool.Refused e) {
          failed.add(failure(a.sopClassUid(), a.sopInstanceUid(), OUT_OF_RESOURCES));
        }
      });
    } catch (Multipart.MultipartException e) {
      throw ServingException.badRequest("STOW-RS body: " + e.getMessage());
    }
    ObjectNode response = DicomJson.object();
    if (!stored.isEmpty()) {
      response.set(DicomJson.tag(Tag.REFERENCED_SOP_SEQUENCE), DicomJson.sequence(stored));
    }
    if (!failed.isEmpty()) {
      response.set(DicomJson.tag(Tag.FAILED_SOP_SEQUENCE), DicomJson.sequence(failed));
    }
    if (stored.isEmpty() && failed.isEmpty()) {
      throw ServingException.badRequest("STOW-RS body holds no instance");
    }
    return new StoreResponse(failed.isEmpty() ? 200 : stored.isEmpty() ? 409 : 202, response);
  }

  /** Scores a spooled study now rather than after the quiet period; false when none is spooled. */
  public boolean answerNow(String studyUid) {
    return spool.expedite(studyUid);
  }

  public synchronized List<Answered> recent() {
    return List.copyOf(recent);
  }

  public int pendingStudies() {
    return spool.pendingStudies();
  }

  private void answerDue() {
    for (String study : spool.due(System.currentTimeMillis())) {
      long started = System.currentTimeMillis();
      org.ctnet.server.observe.Tracing tracing = org.ctnet.server.observe.Tracing.current();
      io.opentelemetry.api.trace.Span span = tracing.server("pacs answer", io.opentelemetry.context.Context.root());
      try (var scope = span.makeCurrent()) {
        var files = spool.read(study);
        if (files.isEmpty()) {
          spool.remove(study, started);
          continue;
        }
        StudyResults.Outcome outcome = inference.answerStudy(settings.model(), study, files,
            new ResultObjects.Settings(uids, settings.model(), ""));
        int objects = 0;
        String report = "";
        for (ResultObjects.Written w : outcome.written()) {
          tracing.inSpan("pacs store", () -> {
            try {
              return pacs.store(study, w.instances());
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
          objects += w.instances().size();
          report = w.reportSopInstanceUid();
        }
        spool.remove(study, started);
        synchronized (this) {
          recent.addFirst(new Answered(study, Instant.now(), outcome.verdicts(), objects, report));
          while (recent.size() > RECENT) {
            recent.removeLast();
          }
        }
        LOG.info(String.format("study %s answered: %s, %d objects stored in %.1f s", study, outcome.verdicts(),
            objects, (System.currentTimeMillis() - started) / 1000.0));
      } catch (ServingException e) {
        spool.postpone(study);
        LOG.warning("study " + study + " not answered yet (" + e.problem() + ": " + e.getMessage() + "); retried after "
            + "the quiet period");
      } catch (IOException | RuntimeException e) {
        spool.postpone(study);
        Throwable cause = e instanceof java.io.UncheckedIOException u ? u.getCause() : e;
        LOG.warning("study " + study + " not answered yet (" + cause.getClass().getSimpleName() + ": "
            + cause.getMessage() + "); retried after the quiet period");
      } finally {
        span.end();
      }
    }
  }

  private static ObjectNode reference(String sopClass, String sopInstance) {
    ObjectNode item = DicomJson.object();
    item.set(DicomJson.tag(Tag.REFERENCED_SOP_CLASS_UID), DicomJson.attribute("UI", sopClass));
    item.set(DicomJson.tag(Tag.REFERENCED_SOP_INSTANCE_UID), DicomJson.attribute("UI", sopInstance));
    return item;
  }

  private static ObjectNode failure(String sopClass, String sopInstance, int reason) {
    ObjectNode item = DicomJson.object();
    if (!sopClass.isEmpty()) {
      item.set(DicomJson.tag(Tag.REFERENCED_SOP_CLASS_UID), DicomJson.attribute("UI", sopClass));
    }
    if (!sopInstance.isEmpty()) {
      item.set(DicomJson.tag(Tag.REFERENCED_SOP_INSTANCE_UID), DicomJson.attribute("UI", sopInstance));
    }
    item.set(DicomJson.tag(Tag.FAILURE_REASON), DicomJson.numberAttribute("US", reason));
    return item;
  }


  @Override
  public void close() {
    answering.shutdownNow();
  }
}

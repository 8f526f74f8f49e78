package org.ctnet.trainer.cli;

import java.util.concurrent.Callable;
import org.ctnet.dicom.write.Uids;
import org.ctnet.graph.report.ResultObjects;
import org.ctnet.graph.runtime.LoadedModel;
import org.ctnet.graph.runtime.SessionOptions;
import org.ctnet.trainer.workflow.PacsPull;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Pulls CT studies from a PACS over DICOMweb, scores them, and stores DICOM results into the same studies. */
@Command(name = "pacs", mixinStandardHelpOptions = true,
    description = {"Take CT studies from a PACS (QIDO-RS, WADO-RS), score each CT series, and store the results into "
        + "the same study (STOW-RS): a Comprehensive SR with the verdict and Secondary Captures of the top slices' "
        + "heatmaps. Studies already answered are skipped unless --force. Research use, not for diagnosis."})
public final class PacsCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ModelOption model;

  @Mixin PacsOptions pacs;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Which which;

  static final class Which {
    @Option(names = "--study", paramLabel = "UID", description = "One study, by StudyInstanceUID.")
    String study;

    @Option(names = "--since", paramLabel = "YYYYMMDD", description = "CT studies with a StudyDate on or after this day.")
    String since;
  }

  @Option(names = "--limit", defaultValue = "100", description = "At most this many studies (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--force", description = "Score studies that already hold a CT-Net report again.")
  boolean force;

  @Option(names = "--fhir-out", paramLabel = "DIR", description = "Also write each study's results as a FHIR R4 "
      + "Bundle (DiagnosticReport and Observations) to DIR/<StudyInstanceUID>.fhir.json.")
  java.nio.file.Path fhirOut;

  @Option(names = "--uid-root", defaultValue = Uids.UUID_ROOT, paramLabel = "ROOT",
      description = "Root of the results' new UIDs: your organisation's, or 2.25 (UUID-derived, the default).")
  String uidRoot;

  @Override
  public Integer call() throws Exception {
    if (which.since != null && !which.since.matches("\\d{8}")) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--since must be a date as YYYYMMDD, got '" + which.since + "'");
    }
    if (which.study != null && !which.study.matches("[0-9.]{1,64}")) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--study must be a StudyInstanceUID (digits and dots), got '" + which.study
          + "'");
    }
    if (limit < 1) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--limit must be at least 1");
    }
    var client = pacs.client();
    var versionDir = model.versionDir();
    try (LoadedModel session = LoadedModel.load(versionDir, SessionOptions.DEFAULT)) {
      var settings = new ResultObjects.Settings(new Uids(uidRoot), versionDir.getParent().getFileName().toString(),
          versionDir.getFileName().toString());
      new PacsPull(client, session, settings, spec.commandLine().getOut(), fhirOut)
          .run(new PacsPull.Query(which.study, which.since, limit), force);
    }
    return ExitCode.OK;
  }
}

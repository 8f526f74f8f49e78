package org.ctnet.trainer.workflow;

import org.ctnet.trainer.train.HeldOutScores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.assets.ModelAssets;
import org.ctnet.graph.runtime.Predictor;
import org.ctnet.trainer.data.Csv;
import org.ctnet.trainer.data.ImageStore;
import org.ctnet.trainer.data.Sample;
import org.ctnet.trainer.data.StudyStore;
import org.ctnet.trainer.eval.Bootstrap;
import org.ctnet.trainer.eval.Evaluation;
import org.ctnet.trainer.eval.ScanEvaluation;
import org.ctnet.trainer.train.StudyScores;
import org.ctnet.trainer.train.Trainer;

/**
 * A new source as the transfer study uses it: a training part drawn from by patient budgets and a
 * fixed, patient-disjoint test part it is scored on. Slice-labelled images (optionally with their
 * slice labels hidden, each group a study), or studies with one label each.
 */
public sealed interface TransferPool {
  /** Scores of the test part written per run ({@code test-scores.csv}, the columns {@code compare} reads). */
  String TEST_SCORES = "test-scores.csv";

  /** Patients of the training part. */
  int patients();

  /** The test part, e.g. "116 images / 62 patients". */
  String testDescription();

  /** The images batch-norm adaptation (AdaBN) may see: every training-part slice, no label. */
  List<float[]> unlabelledImages();

  /** One budget's fine-tuning inputs. */
  record Drawn(FineTuning.Inputs inputs, int patients, int trainCount, int validationCount) {}

  Drawn draw(int patients, long seed, ImageStore rehearsal, ImageStore referenceCheck);

  /** The test part's figures at the model's decision, and its scores written to {@code dir}. */
  record Scored(Evaluation evaluation, double scanAuc, int tested, double threshold, String thresholdRule) {}

  Scored score(Predictor model, int bootstrap, Path dir) throws IOException;

  /** Slice-labelled images; with {@code studyLabels} each group trains and validates as one study. */
  static TransferPool ofSlices(ImageStore pool, ImageStore test, boolean studyLabels) {
    return new Slices(pool, test, studyLabels, new PatientDraws(pool.dataset()));
  }

  /** Studies with one label each: budgets count patients, the test part is judged per study. */
  static TransferPool ofStudies(StudyStore pool, StudyStore test) {
    return new Studies(pool, test, new PatientDraws(pool.asDataset()));
  }

  record Slices(ImageStore pool, ImageStore test, boolean studyLabels, PatientDraws draws) implements TransferPool {
    @Override
    public int patients() {
      return draws.groupCount();
    }

    @Override
    public String testDescription() {
      return test.size() + " images / " + test.dataset().samples().stream().map(Sample::group).distinct().count()
          + " patients";
    }

    @Override
    public List<float[]> unlabelledImages() {
      List<float[]> images = new ArrayList<>();
      for (int i = 0; i < pool.size(); i++) {
        images.add(pool.pixels(i));
      }
      return images;
    }

    @Override
    public Drawn draw(int patients, long seed, ImageStore rehearsal, ImageStore referenceCheck) {
      PatientDraws.Draw draw = draws.draw(patients, seed);
      ImageStore train = pool.subset(draw.train());
      ImageStore validation = pool.subset(draw.validation());
      FineTuning.Inputs inputs = studyLabels
          ? new FineTuning.Inputs(null, StudyStore.fromGroups(train), null, StudyStore.fromGroups(validation), rehearsal,
              referenceCheck)
          : new FineTuning.Inputs(train, null, validation, null, rehearsal, referenceCheck);
      return new Drawn(inputs, draw.patients(), train.size(), validation.size());
    }

    @Override
    public Scored score(Predictor model, int bootstrap, Path dir) throws IOException {
      HeldOutScores e = HeldOutScores.of(model, test, 32);
      List<String> groups = test.dataset().samples().stream().map(Sample::group).toList();
      StringBuilder csv = new StringBuilder("path,label,group,score,source\n");
      for (int i = 0; i < test.size(); i++) {
        Sample s = test.sample(i);
        csv.append(Csv.row(s.path(), s.label(), s.group(), Double.toString(e.positiveScores()[i]), s.source()))
            .append('\n');
      }
      writeScores(dir, csv);
      ModelAssets.ScanDecision scan = model.assets().effectiveScanDecision();
      ScanEvaluation.Scans scans = ScanEvaluation.scans(e.positiveScores(), e.labels(), groups, scan.rule());
      double scanAuc = org.ctnet.trainer.eval.Metrics.rocAuc(scans.scores(), scans.labels());
      if (studyLabels) {
        // Study labels lock a scan threshold: the test part is judged per scan.
        return new Scored(Evaluation.of("test scans", scans.scores(), scans.labels(), scans.names(), scan.threshold(),
            bootstrap, Bootstrap.SEED), scanAuc, test.size(), scan.threshold(), scan.chosenFor());
      }
      ModelAssets.Decision decision = model.assets().decision();
      return new Scored(Evaluation.of("test", e.positiveScores(), e.labels(), groups, decision.threshold(), bootstrap,
          Bootstrap.SEED), scanAuc, test.size(), decision.threshold(), decision.chosenFor());
    }
  }

  record Studies(StudyStore pool, StudyStore test, PatientDraws draws) implements TransferPool {
    @Override
    public int patients() {
      return draws.groupCount();
    }

    @Override
    public String testDescription() {
      return test.size() + " studies / " + test.studies().stream().map(StudyStore.Study::group).distinct().count()
          + " patients";
    }

    @Override
    public List<float[]> unlabelledImages() {
      List<float[]> images = new ArrayList<>();
      for (int s = 0; s < pool.size(); s++) {
        for (int j = 0; j < pool.sliceCount(s); j++) {
          images.add(pool.slice(s, j));
        }
      }
      return images;
    }

    @Override
    public Drawn draw(int patients, long seed, ImageStore rehearsal, ImageStore referenceCheck) {
      PatientDraws.Draw draw = draws.draw(patients, seed);
      StudyStore train = pool.subset(draw.train());
      StudyStore validation = pool.subset(draw.validation());
      return new Drawn(new FineTuning.Inputs(null, train, null, validation, rehearsal, referenceCheck), draw.patients(),
          train.size(), validation.size());
    }

    @Override
    public Scored score(Predictor model, int bootstrap, Path dir) throws IOException {
      StudyScores s = StudyScores.of(model, test);
      StringBuilder csv = new StringBuilder("path,label,group,score,source\n");
      for (int i = 0; i < test.size(); i++) {
        StudyStore.Study study = test.study(i);
        csv.append(Csv.row(study.name(), study.label(), study.group(), Double.toString(s.probabilities()[i]),
            study.source())).append('\n');
      }
      writeScores(dir, csv);
      ModelAssets.ScanDecision scan = model.assets().effectiveScanDecision();
      List<String> patients = test.studies().stream().map(StudyStore.Study::group).toList();
      Evaluation evaluation = Evaluation.of("test studies", s.probabilities(), s.labels(), patients, scan.threshold(),
          bootstrap, Bootstrap.SEED);
      return new Scored(evaluation, evaluation.metrics().get("roc_auc").value(), test.size(), scan.threshold(),
          scan.chosenFor());
    }
  }

  private static void writeScores(Path dir, CharSequence csv) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(TEST_SCORES), csv);
  }
}

package org.ctnet.trainer.workflow;

/**
 * One point of a transfer study: a model fine-tuned on {@code patients} patients of the new source
 * (0 = the base model as it is), scored on the fixed, patient-disjoint test part.
 *
 * @param budget the budget as asked (a number or "all")
 * @param patients patients actually used (training + validation)
 * @param repeat which draw of patients (0 for the zero-shot point)
 * @param testAuc test ROC-AUC with its 95% group-bootstrap interval
 * @param sensitivity test sensitivity at the locked threshold, with interval
 * @param specificity test specificity at the locked threshold, with interval
 * @param threshold the locked threshold and {@code thresholdRule} how it was chosen
 * @param brier test Brier score
 * @param ece test expected calibration error (10 bins)
 * @param referenceAucBefore reference-source test ROC-AUC of the base model (NaN without one)
 * @param referenceAucAfter the same after fine-tuning
 * @param temperature the fitted temperature
 * @param validationAuc the new-source validation ROC-AUC after fine-tuning (NaN for zero-shot)
 * @param problems why the fine-tune would have been refused, empty if it would not
 * @param testScanAuc test ROC-AUC per patient (scan): each patient's slices by the model's scan rule
 */
public record TransferRun(
    String budget, int patients, int repeat, int trainImages, int validationImages, int testImages,
    double testAuc, double testAucLower, double testAucUpper,
    double sensitivity, double sensitivityLower, double sensitivityUpper,
    double specificity, double specificityLower, double specificityUpper,
    double threshold, String thresholdRule, double brier, double ece,
    double referenceAucBefore, double referenceAucAfter, double temperature, double validationAuc, int bestEpoch,
    double seconds, java.util.List<String> problems, double testScanAuc) {

  public String id() {
    return patients == 0 ? "zero-shot" : "budget-" + budget + "-repeat-" + repeat;
  }
}

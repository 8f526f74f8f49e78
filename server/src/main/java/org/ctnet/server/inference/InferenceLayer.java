package org.ctnet.server.inference;

import org.ctnet.server.config.ServerSettings;
import org.ctnet.server.repository.ModelRepository;

/**
 * The one inference layer both protocols adapt: TF Serving's and KServe's operations over the same
 * image inputs (decode budget) and scheduler calls. Built once per server; REST and gRPC get the same.
 */
public record InferenceLayer(TfServingOperations tfServing, KServeOperations kserve, ImageInputs inputs,
    SchedulerCalls calls) {
  public static InferenceLayer of(ModelRepository repository, ServerSettings settings) {
    ImageInputs inputs = new ImageInputs(settings);
    SchedulerCalls calls = new SchedulerCalls(settings);
    return new InferenceLayer(new TfServingOperations(repository, settings, inputs, calls),
        new KServeOperations(repository, settings, inputs, calls), inputs, calls);
  }
}

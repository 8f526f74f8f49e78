package org.ctnet.server.grpc;

import io.grpc.MethodDescriptor;
import org.ctnet.server.grpc.proto.tfs.ClassificationRequest;
import org.ctnet.server.grpc.proto.tfs.ClassificationResponse;
import org.ctnet.server.grpc.proto.tfs.GetModelMetadataRequest;
import org.ctnet.server.grpc.proto.tfs.GetModelMetadataResponse;
import org.ctnet.server.grpc.proto.tfs.GetModelStatusRequest;
import org.ctnet.server.grpc.proto.tfs.GetModelStatusResponse;
import org.ctnet.server.grpc.proto.tfs.PredictRequest;
import org.ctnet.server.grpc.proto.tfs.PredictResponse;
import org.ctnet.server.grpc.proto.tfs.RegressionRequest;
import org.ctnet.server.grpc.proto.tfs.RegressionResponse;

/** TF Serving's gRPC methods as served here (the names TF Serving clients call). */
public final class TfServingGrpc {
  public static final String PREDICTION_SERVICE = "tensorflow.serving.PredictionService";
  public static final String MODEL_SERVICE = "tensorflow.serving.ModelService";

  public static final MethodDescriptor<PredictRequest, PredictResponse> PREDICT = Unary.method(PREDICTION_SERVICE, "Predict",
      PredictRequest.getDefaultInstance(), PredictResponse.getDefaultInstance());
  public static final MethodDescriptor<ClassificationRequest, ClassificationResponse> CLASSIFY = Unary.method(
      PREDICTION_SERVICE, "Classify", ClassificationRequest.getDefaultInstance(), ClassificationResponse.getDefaultInstance());
  public static final MethodDescriptor<RegressionRequest, RegressionResponse> REGRESS = Unary.method(PREDICTION_SERVICE,
      "Regress", RegressionRequest.getDefaultInstance(), RegressionResponse.getDefaultInstance());
  public static final MethodDescriptor<GetModelMetadataRequest, GetModelMetadataResponse> GET_MODEL_METADATA = Unary.method(
      PREDICTION_SERVICE, "GetModelMetadata", GetModelMetadataRequest.getDefaultInstance(),
      GetModelMetadataResponse.getDefaultInstance());
  public static final MethodDescriptor<GetModelStatusRequest, GetModelStatusResponse> GET_MODEL_STATUS = Unary.method(
      MODEL_SERVICE, "GetModelStatus", GetModelStatusRequest.getDefaultInstance(), GetModelStatusResponse.getDefaultInstance());

  private TfServingGrpc() {}
}

package org.ctnet.server.grpc;

import io.grpc.MethodDescriptor;
import org.ctnet.server.grpc.proto.kserve.ModelInferRequest;
import org.ctnet.server.grpc.proto.kserve.ModelInferResponse;
import org.ctnet.server.grpc.proto.kserve.ModelMetadataRequest;
import org.ctnet.server.grpc.proto.kserve.ModelMetadataResponse;
import org.ctnet.server.grpc.proto.kserve.ModelReadyRequest;
import org.ctnet.server.grpc.proto.kserve.ModelReadyResponse;
import org.ctnet.server.grpc.proto.kserve.ServerLiveRequest;
import org.ctnet.server.grpc.proto.kserve.ServerLiveResponse;
import org.ctnet.server.grpc.proto.kserve.ServerMetadataRequest;
import org.ctnet.server.grpc.proto.kserve.ServerMetadataResponse;
import org.ctnet.server.grpc.proto.kserve.ServerReadyRequest;
import org.ctnet.server.grpc.proto.kserve.ServerReadyResponse;

/** KServe's Open Inference Protocol gRPC methods (GRPCInferenceService). */
public final class KServeGrpc {
  public static final String SERVICE = "inference.GRPCInferenceService";

  public static final MethodDescriptor<ServerLiveRequest, ServerLiveResponse> SERVER_LIVE = Unary.method(SERVICE,
      "ServerLive", ServerLiveRequest.getDefaultInstance(), ServerLiveResponse.getDefaultInstance());
  public static final MethodDescriptor<ServerReadyRequest, ServerReadyResponse> SERVER_READY = Unary.method(SERVICE,
      "ServerReady", ServerReadyRequest.getDefaultInstance(), ServerReadyResponse.getDefaultInstance());
  public static final MethodDescriptor<ModelReadyRequest, ModelReadyResponse> MODEL_READY = Unary.method(SERVICE,
      "ModelReady", ModelReadyRequest.getDefaultInstance(), ModelReadyResponse.getDefaultInstance());
  public static final MethodDescriptor<ServerMetadataRequest, ServerMetadataResponse> SERVER_METADATA = Unary.method(
      SERVICE, "ServerMetadata", ServerMetadataRequest.getDefaultInstance(), ServerMetadataResponse.getDefaultInstance());
  public static final MethodDescriptor<ModelMetadataRequest, ModelMetadataResponse> MODEL_METADATA = Unary.method(
      SERVICE, "ModelMetadata", ModelMetadataRequest.getDefaultInstance(), ModelMetadataResponse.getDefaultInstance());
  public static final MethodDescriptor<ModelInferRequest, ModelInferResponse> MODEL_INFER = Unary.method(SERVICE,
      "ModelInfer", ModelInferRequest.getDefaultInstance(), ModelInferResponse.getDefaultInstance());

  private KServeGrpc() {}
}

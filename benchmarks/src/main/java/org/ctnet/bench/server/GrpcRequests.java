package org.ctnet.bench.server;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.ctnet.graph.ModelNames;
import org.ctnet.graph.cam.CamMethod;
import org.ctnet.server.grpc.proto.tfs.ModelSpec;
import org.ctnet.server.grpc.proto.tfs.PredictRequest;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** TF Serving Predict requests as a TF client builds them (tf.make_tensor_proto: little-endian tensor_content). */
final class GrpcRequests {
  private GrpcRequests() {}

  private static TensorShapeProto shape(long... dims) {
    TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
    for (long d : dims) {
      b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d));
    }
    return b.build();
  }

  private static ByteString images(float[] image, int h, int w) {
    ByteBuffer content = ByteBuffer.allocate(image.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : image) {
      content.putFloat(v);
    }
    return TensorProto.newBuilder().setDtype(DataType.DT_FLOAT).setTensorShape(shape(1, h, w, 1))
        .setTensorContent(ByteString.copyFrom(content.array())).build().toByteString();
  }

  static PredictRequest predict(String model, float[] image, int h, int w) {
    return PredictRequest.newBuilder().setModelSpec(ModelSpec.newBuilder().setName(model))
        .putInputs(ModelNames.IN_IMAGES, images(image, h, w)).build();
  }

  /** The explain signature for class 1, Grad-CAM++'s heatmap only (like the REST explain call). */
  static PredictRequest explain(String model, float[] image, int h, int w) {
    TensorProto classes = TensorProto.newBuilder().setDtype(DataType.DT_INT32).setTensorShape(shape(1)).addIntVal(1).build();
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName(model).setSignatureName(ModelNames.EXPLAIN))
        .putInputs(ModelNames.IN_IMAGES, images(image, h, w))
        .putInputs(ModelNames.IN_CLASS_INDEX, classes.toByteString())
        .addOutputFilter(ModelNames.OUT_PROBABILITIES)
        .addOutputFilter(CamMethod.GRAD_CAM_PLUS_PLUS.key() + ModelNames.OUT_HEATMAP_SUFFIX).build();
  }

  static PredictRequest png(String model, byte[] png) {
    TensorProto bytes = TensorProto.newBuilder().setDtype(DataType.DT_STRING).setTensorShape(shape(1))
        .addStringVal(ByteString.copyFrom(png)).build();
    return PredictRequest.newBuilder()
        .setModelSpec(ModelSpec.newBuilder().setName(model).setSignatureName(ModelNames.SERVING_BYTES))
        .putInputs(ModelNames.IN_IMAGE_BYTES, bytes.toByteString()).build();
  }
}

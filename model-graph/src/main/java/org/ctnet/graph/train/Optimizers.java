package org.ctnet.graph.train;

import java.util.ArrayList;
import java.util.List;
import org.ctnet.graph.layers.ParameterStore;
import org.ctnet.graph.layers.ParameterStore.Parameter;
import org.ctnet.graph.layers.ParameterStore.Role;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Per-variable update ops for the paper's optimizers, with the learning rate as a fed operand.
 * Slots live under {@code optimizer/<variable path>/<slot>} so they are checkpointed with the
 * weights and an exported model resumes training with its moments.
 */
public final class Optimizers {
  private Optimizers() {}

  /**
   * Slots live in one flat scope, "optimizer/stage1.unit0.conv1.kernel.m": a scope per variable
   * path cost a scan of the whole graph each in TF-Java 1.1.0 (half of a CT-Net build).
   */
  private static final String SLOT_SCOPE = "optimizer";

  /**
   * @param step the step counter before this update (0-based, float), for Adam's bias correction
   * @return one update op per (variable, gradient) pair
   */
  public static List<Op> updates(
      Ops tf,
      ParameterStore store,
      TrainingSpec spec,
      List<Parameter> variables,
      List<Operand<TFloat32>> gradients,
      Operand<TFloat32> learningRate,
      Operand<TFloat32> step) {
    List<Op> ops = new ArrayList<>();
    Ops opt = tf.withSubScope("optimizer_update");
    Operand<TFloat32> beta1 = opt.constant((float) spec.beta1());
    Operand<TFloat32> beta2 = opt.constant((float) spec.beta2());
    Operand<TFloat32> epsilon = opt.constant((float) spec.epsilon());
    Operand<TFloat32> momentum = opt.constant((float) spec.momentum());
    Operand<TFloat32> rho = opt.constant((float) spec.rho());
    Operand<TFloat32> t = opt.math.add(step, opt.constant(1f));
    Operand<TFloat32> beta1Power = opt.math.pow(beta1, t);
    Operand<TFloat32> beta2Power = opt.math.pow(beta2, t);
    for (int i = 0; i < variables.size(); i++) {
      Parameter p = variables.get(i);
      Operand<TFloat32> grad = gradients.get(i);
      switch (spec.optimizer()) {
        case ADAM -> {
          Variable<TFloat32> m = slot(store, "m", p);
          Variable<TFloat32> v = slot(store, "v", p);
          ops.add(opt.train.applyAdam(p.variable(), m, v, beta1Power, beta2Power, learningRate, beta1, beta2, epsilon, grad));
        }
        case SGD_MOMENTUM -> {
          Variable<TFloat32> accum = slot(store, "momentum", p);
          ops.add(opt.train.applyMomentum(p.variable(), accum, learningRate, grad, momentum));
        }
        case RMSPROP -> {
          Variable<TFloat32> ms = slot(store, "ms", p);
          Variable<TFloat32> mom = slot(store, "mom", p);
          ops.add(opt.train.applyRmsProp(p.variable(), ms, mom, learningRate, rho, momentum, epsilon, grad));
        }
        default -> throw new IllegalStateException("unknown optimizer " + spec.optimizer());
      }
    }
    return ops;
  }

  private static String slotName(Parameter p, String slot) {
    return p.path().replace('/', '.') + "." + slot;
  }

  private static Variable<TFloat32> slot(ParameterStore store, String name, Parameter p) {
    return store.get(SLOT_SCOPE, slotName(p, name), Role.OPTIMIZER, init -> ParameterStore.zeros(init, p));
  }
}

package org.ctnet.graph.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Owns the graph's variables, keyed by a stable path such as {@code stage1/unit0/conv1/kernel}.
 * The first request for a path creates the variable; later requests (the inference path after
 * the training path) get the same one, which is how both modes share weights. Variable op names
 * equal their paths: they are checkpoint keys, so they must never depend on build order.
 */
public final class ParameterStore {
  /** What a variable is for: decides weight decay, training and checkpoint grouping. */
  public enum Role {
    /** Convolution or dense kernel: trained, L2-decayed. */
    KERNEL,
    /** Bias, batch-norm gamma/beta: trained, not decayed. */
    SHIFT_OR_SCALE,
    /** Batch-norm moving mean/variance: updated by the training step, not by gradients. */
    MOVING_STATISTIC,
    /** Optimizer slots and counters. */
    OPTIMIZER
  }

  /** One variable with its path and role. */
  public record Parameter(String path, Role role, Variable<TFloat32> variable) {
    public Shape shape() {
      return variable.shape();
    }

    public boolean trainable() {
      return role == Role.KERNEL || role == Role.SHIFT_OR_SCALE;
    }
  }

  private final Ops root;
  private final Map<String, Ops> scopes = new HashMap<>();
  private final Map<String, Parameter> parameters = new LinkedHashMap<>();
  private boolean creationAllowed = true;

  public ParameterStore(Ops root) {
    this.root = root;
  }

  /** An initial value of zeros shaped like {@code like}: one Fill op (Ops.zeros opens a sub-scope). */
  public static Operand<TFloat32> zeros(Ops init, Parameter like) {
    return init.fill(init.constant(like.shape().asArray()), init.constant(0f));
  }

  /**
   * The variable at {@code scopePath/leaf}, created with {@code init} (built in the variable's own
   * scope) on first use.
   */
  public Variable<TFloat32> get(
      String scopePath, String leaf, Role role, Function<Ops, Operand<TFloat32>> init) {
    String path = scopePath.isEmpty() ? leaf : scopePath + "/" + leaf;
    Parameter existing = parameters.get(path);
    if (existing != null) {
      if (existing.role() != role) {
        throw new IllegalStateException(
            "variable " + path + " requested as " + role + " but exists as " + existing.role());
      }
      return existing.variable();
    }
    if (!creationAllowed) {
      throw new IllegalStateException(
          "variable " + path + " does not exist and the store no longer creates variables");
    }
    Ops scope = scope(scopePath);
    // No sub-scope per variable: in TF-Java 1.1.0 every withSubScope scans all ops of the graph
    // (NameScope.importIdsFrom), which made building a graph quadratic in its size.
    Operand<TFloat32> initial = init.apply(scope.withInitScope());
    Variable<TFloat32> variable = scope.withName(leaf).variable(initial);
    parameters.put(path, new Parameter(path, role, variable));
    return variable;
  }

  /** While false, asking for a missing variable is an error (e.g. building the inference path). */
  public void setCreationAllowed(boolean allowed) {
    creationAllowed = allowed;
  }

  private Ops scope(String path) {
    if (path.isEmpty()) {
      return root;
    }
    Ops cached = scopes.get(path);
    if (cached != null) {
      return cached;
    }
    int slash = path.lastIndexOf('/');
    Ops parent = slash < 0 ? root : scope(path.substring(0, slash));
    Ops created = parent.withSubScope(path.substring(slash + 1));
    scopes.put(path, created);
    return created;
  }

  /** Every variable, in creation order. */
  public List<Parameter> all() {
    return Collections.unmodifiableList(new ArrayList<>(parameters.values()));
  }

  public List<Parameter> byRole(Role role) {
    return parameters.values().stream().filter(p -> p.role() == role).toList();
  }

  public Parameter parameter(String path) {
    Parameter p = parameters.get(path);
    if (p == null) {
      throw new IllegalArgumentException("no variable named " + path);
    }
    return p;
  }
}

package org.ctnet.server.http;

import org.ctnet.server.problem.ServingException;
import org.ctnet.server.repository.ModelRepository;

/**
 * A model path after a protocol prefix: {@code {m}[/versions/{v}|/labels/{l}][/tail]} or
 * {@code ...:verb} (TF Serving's and KServe's forms).
 */
record ModelPath(String model, String version, String label, String tail, String verb) {
  /** The path after {@code prefix + "/"}; a path that ends at the prefix names no model (404). */
  static ModelPath after(String path, String prefix) {
    if (path.length() <= prefix.length() + 1) {
      throw ServingException.notFound("missing model name: expected " + prefix + "/{model}...");
    }
    return parse(path.substring(prefix.length() + 1));
  }

  static ModelPath parse(String rest) {
    String verb = null;
    int colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      verb = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    String[] parts = rest.split("/", -1);
    String model = parts[0];
    String version = null;
    String label = null;
    int i = 1;
    if (parts.length >= 3 && parts[1].equals("versions")) {
      version = parts[2];
      i = 3;
    } else if (parts.length >= 3 && parts[1].equals("labels")) {
      label = parts[2];
      i = 3;
    }
    String tail = i < parts.length ? String.join("/", java.util.Arrays.copyOfRange(parts, i, parts.length)) : "";
    if (model.isEmpty() || !ModelRepository.MODEL_NAME.matcher(model).matches()) {
      throw ServingException.notFound("invalid or missing model name in the path");
    }
    return new ModelPath(model, version, label, tail, verb);
  }

  /** The model named by a path under any model prefix, "" for other paths, "invalid" for a bad name. */
  static String modelOf(String path) {
    for (String prefix : new String[] {RestPaths.TFS_MODELS + "/", RestPaths.KSERVE_MODELS + "/", RestPaths.IMAGE_API + "/"}) {
      if (path.startsWith(prefix)) {
        String rest = path.substring(prefix.length());
        int end = rest.length();
        for (char c : new char[] {'/', ':'}) {
          int i = rest.indexOf(c);
          if (i >= 0) {
            end = Math.min(end, i);
          }
        }
        String m = rest.substring(0, end);
        return ModelRepository.MODEL_NAME.matcher(m).matches() ? m : "invalid";
      }
    }
    return "";
  }
}

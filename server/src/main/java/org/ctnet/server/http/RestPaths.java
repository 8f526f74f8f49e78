package org.ctnet.server.http;

/** Every REST path the server answers, in one place. */
public final class RestPaths {
  private RestPaths() {}

  public static final String TFS_MODELS = "/v1/models";
  /** KServe Open Inference Protocol server metadata. */
  public static final String KSERVE_SERVER = "/v2";
  public static final String KSERVE_LIVE = "/v2/health/live";
  public static final String KSERVE_READY = "/v2/health/ready";
  public static final String KSERVE_MODELS = "/v2/models";
  public static final String IMAGE_API = "/api/models";
  /** Scans uploaded file by file: POST creates an upload, POST {id}/files adds one file, DELETE {id} drops it. */
  public static final String SCAN_UPLOADS = "/api/scans";
  /** STOW-RS (PS3.18 10.5): studies sent here are scored and answered into the configured PACS. */
  public static final String DICOMWEB_STUDIES = "/dicomweb/studies";
  /** The studies answered lately, and a request to answer a spooled study now. */
  public static final String PACS_STUDIES = "/api/pacs/studies";
  public static final String HEALTH_LIVE = "/health/live";
  public static final String HEALTH_READY = "/health/ready";
  public static final String METRICS = "/metrics";
  public static final String WEB_PAGE = "/";

  // Verbs that follow the model (or version/label) segment after a colon, TF Serving style.
  public static final String VERB_PREDICT = "predict";
  public static final String VERB_EXPLAIN = "explain";
  // Image endpoints: POST /api/models/{model}[/versions/{v}]/classify|explain with an image body.
  public static final String IMAGE_CLASSIFY = "classify";
  public static final String IMAGE_EXPLAIN = "explain";
  /** A whole scan: a DICOM series (zip, multipart files) or slices, → one verdict. */
  public static final String IMAGE_SCAN = "scan";
}

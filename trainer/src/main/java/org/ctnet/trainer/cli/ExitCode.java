package org.ctnet.trainer.cli;

/** The ctnet command line's exit codes. */
public final class ExitCode {
  /** The command did what it was asked. */
  public static final int OK = 0;
  /** It failed (an error on stderr), or refused a result (a fine-tune worse than its start). */
  public static final int FAILED = 1;
  /** The command line itself was wrong (picocli's usage errors). */
  public static final int USAGE = 2;

  private ExitCode() {}
}

package org.ctnet.trainer.train;

import java.io.PrintWriter;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on an interactive terminal (ETA, rate, extra message), plain periodic lines
 * otherwise (log files, CI), so logs stay readable.
 */
public final class Progress implements AutoCloseable {
  /**
   * The process's standard output as the CLI hands it to its commands: a bar is drawn only on this
   * writer and only on an interactive terminal; any other writer (a test's, a log's) gets plain lines.
   */
  public static final PrintWriter STDOUT = new PrintWriter(new java.io.OutputStreamWriter(System.out,
      java.nio.charset.Charset.defaultCharset()), true);

  private final ProgressBar bar;
  private final PrintWriter plain;
  private final String task;
  private final long total;
  private final long started = System.nanoTime();
  private long done;
  private long lastPrinted;
  private String message = "";

  public Progress(String task, long total, PrintWriter out) {
    this.task = task;
    this.total = total;
    if (System.console() != null && out == STDOUT) {
      this.bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
          .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).build();
      this.plain = null;
    } else {
      this.bar = null;
      this.plain = out;
    }
  }

  public void step(long n, String extra) {
    done += n;
    message = extra;
    if (bar != null) {
      bar.stepBy(n);
      bar.setExtraMessage(extra);
    } else {
      long now = System.nanoTime();
      if (now - lastPrinted > 15_000_000_000L || done >= total) {
        lastPrinted = now;
        double seconds = (now - started) / 1e9;
        double eta = done == 0 ? 0 : seconds / done * (total - done);
        plain.printf("%s %d/%d (%.0f%%) %s elapsed %.0fs ETA %.0fs%n", task, done, total, 100.0 * done / total,
            extra, seconds, eta);
        plain.flush();
      }
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }

  public String message() {
    return message;
  }
}

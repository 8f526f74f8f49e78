package org.ctnet.bench.graph;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer protocol as the harness relies on it, against a real child process (a shell script speaking the
 * protocol, so the test runs without PyTorch): the ready line after library noise, one answer per round in
 * order, a peer that dies early reported with its exit code, one that prints broken JSON stopped, and quit
 * ending the process.
 */
class PeerProcessTest {
  @TempDir Path dir;

  @Test
  void readsTheReadyLineAfterNoiseAndOneAnswerPerRound() throws Exception {
    Path script = script("""
        echo "SLF4J(W): No SLF4J providers were found."
        echo '{"ready": true, "torch": "9.9", "threads": 2, "flops": {"forward/1": 100.0, "forward/8": 800.0}}'
        n=0
        while read line; do
          [ "$line" = round ] || exit 0
          n=$((n+1))
          echo "{\\"round\\": {\\"forward/1\\": $n.5, \\"forward/8\\": $((n*10))}}"
        done
        """);
    PeerProcess peer = PeerProcess.start("fake", List.of("sh", script.toString()), dir.resolve("stderr.log"));
    try (peer) {
      assertEquals("9.9, 2 threads", peer.version());
      assertEquals(Map.of("forward/1", 100.0, "forward/8", 800.0), peer.flops());
      assertEquals(Map.of("forward/1", 1.5, "forward/8", 10.0), peer.round());
      assertEquals(Map.of("forward/1", 2.5, "forward/8", 20.0), peer.round());
    }
  }

  @Test
  void aPeerThatDiesBeforeItIsReadyIsReportedWithItsExitCode() throws Exception {
    Path script = script("""
        echo "Traceback: no module named torch" >&2
        exit 3
        """);
    IOException e = assertThrows(IOException.class,
        () -> PeerProcess.start("fake", List.of("sh", script.toString()), dir.resolve("stderr.log")));
    assertTrue(e.getMessage().contains("ended before its 'ready' line (exit 3)"), e.getMessage());
    assertTrue(Files.readString(dir.resolve("stderr.log")).contains("no module named torch"), "stderr kept in the log");
  }

  @Test
  void aPeerThatPrintsBrokenJsonIsRefusedAndStopped() throws Exception {
    Path pidFile = dir.resolve("pid");
    Path script = script("""
        echo $$ > "%s"
        echo '{"ready": tru'
        sleep 60
        """.formatted(pidFile));
    assertThrows(IOException.class,
        () -> PeerProcess.start("fake", List.of("sh", script.toString()), dir.resolve("stderr.log")));
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    // Left running it would sleep for a minute; stopped, it is gone at once.
    ProcessHandle.of(pid).ifPresent(p -> assertDoesNotThrow(() -> p.onExit().get(10, TimeUnit.SECONDS),
        "the broken peer was stopped, not left running"));
  }

  @Test
  void closeSendsQuitAndTheProcessEnds() throws Exception {
    Path marker = dir.resolve("quit-received");
    Path script = script("""
        echo '{"ready": true, "torch": "9.9", "threads": 1, "flops": {}}'
        read line
        [ "$line" = quit ] && touch "%s"
        """.formatted(marker));
    PeerProcess.start("fake", List.of("sh", script.toString()), dir.resolve("stderr.log")).close();
    assertTrue(Files.exists(marker), "the peer read 'quit' before its stdin closed");
  }

  private Path script(String body) throws IOException {
    Path file = Files.createTempFile(dir, "peer", ".sh");
    Files.writeString(file, body);
    return file;
  }
}

package org.ctnet.server.repository;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A request's images are charged to its client once each, whether predicted, explained or both. */
class RequestScopeTest {
  private List<Integer> charges(Runnable request) {
    List<Integer> charged = new ArrayList<>();
    RequestScope.begin();
    RequestScope.chargeImagesTo(charged::add);
    try {
      request.run();
    } finally {
      RequestScope.end();
    }
    return charged;
  }

  private static int total(List<Integer> charges) {
    return charges.stream().mapToInt(Integer::intValue).sum();
  }

  @Test
  void eachImageIsChargedOnceWhateverTheModelDoesWithIt() {
    // The image API: 4 images predicted, then the same 4 explained.
    assertEquals(4, total(charges(() -> {
      RequestScope.charge(4, false);
      RequestScope.charge(4, true);
    })));
    // A 300-slice scan: predicted 16 at a time, its top 3 explained.
    assertEquals(300, total(charges(() -> {
      for (int done = 0; done < 300; done += 16) {
        RequestScope.charge(Math.min(16, 300 - done), false);
      }
      RequestScope.charge(3, true);
    })));
    // TF Serving :explain alone.
    assertEquals(List.of(8), charges(() -> RequestScope.charge(8, true)));
    // Explained first, then predicted beyond it.
    assertEquals(10, total(charges(() -> {
      RequestScope.charge(6, true);
      RequestScope.charge(10, false);
    })));
  }

  @Test
  void withoutABucketNothingIsChargedAndScopesDoNotLeak() {
    RequestScope.begin();
    RequestScope.charge(5, false); // no bucket: no-op
    RequestScope.end();
    List<Integer> later = new ArrayList<>();
    RequestScope.begin();
    RequestScope.charge(3, false);
    RequestScope.chargeImagesTo(later::add);
    RequestScope.charge(2, false);
    RequestScope.end();
    assertEquals(List.of(2), later, "only what the request charged after its bucket was set");
  }
}

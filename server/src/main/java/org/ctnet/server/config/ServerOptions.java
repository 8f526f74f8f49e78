package org.ctnet.server.config;

import org.ctnet.server.security.ClientRates;
import org.ctnet.server.security.TlsSettings;

/**
 * What a server runs with beyond {@link ServerSettings}, each part off by default: the PACS it answers
 * STOW-RS studies into, TLS on its ports, per-client request rates, and tracing.
 */
public record ServerOptions(PacsSettings pacs, TlsSettings tls, ClientRates rates,
    org.ctnet.server.observe.Tracing tracing) {
  public static ServerOptions defaults() {
    return new ServerOptions(PacsSettings.defaults(), TlsSettings.OFF, ClientRates.OFF,
        org.ctnet.server.observe.Tracing.off());
  }

  public ServerOptions withPacs(PacsSettings p) {
    return new ServerOptions(p, tls, rates, tracing);
  }

  public ServerOptions withTls(TlsSettings t) {
    return new ServerOptions(pacs, t, rates, tracing);
  }

  public ServerOptions withRates(ClientRates r) {
    return new ServerOptions(pacs, tls, r, tracing);
  }

  /** Tracing the server installs while it runs and closes (flushing its spans) when it stops. */
  public ServerOptions withTracing(org.ctnet.server.observe.Tracing t) {
    return new ServerOptions(pacs, tls, rates, t);
  }
}

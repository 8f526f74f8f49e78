package org.ctnet.server.config;

import org.ctnet.server.pacs.PacsSettings;
import org.ctnet.server.security.ClientRates;
import org.ctnet.server.security.TlsSettings;

/**
 * What a server runs with beyond {@link ServerSettings}, each part off by default: the PACS it answers
 * STOW-RS studies into, TLS on its ports, and per-client request rates.
 */
public record ServerOptions(PacsSettings pacs, TlsSettings tls, ClientRates rates) {
  public static ServerOptions defaults() {
    return new ServerOptions(PacsSettings.defaults(), TlsSettings.OFF, ClientRates.OFF);
  }

  public ServerOptions withPacs(PacsSettings p) {
    return new ServerOptions(p, tls, rates);
  }

  public ServerOptions withTls(TlsSettings t) {
    return new ServerOptions(pacs, t, rates);
  }

  public ServerOptions withRates(ClientRates r) {
    return new ServerOptions(pacs, tls, r);
  }
}

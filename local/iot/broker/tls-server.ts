import { createServer, type Server, type TLSSocket } from 'node:tls';

/** The broker's TLS 1.2+ listener: every connection must present a client certificate. */
export function mutualTlsServer(
  tls: { readonly key: string; readonly cert: string; readonly ca: string },
  handle: (socket: TLSSocket) => void,
): Server {
  const server = createServer(
    {
      key: tls.key,
      cert: tls.cert,
      ca: tls.ca,
      minVersion: 'TLSv1.2',
      requestCert: true,
      // Registration, not the chain, makes a certificate acceptable (AWS also accepts certificates
      // registered without a CA); validity is judged on the shared clock. TLS still proves the key.
      rejectUnauthorized: false,
    },
    (socket) => {
      if (!socket.getPeerCertificate(false)?.raw) {
        socket.destroy();
        return;
      }
      // MQTT is small request/response packets: Nagle's delay would add tens of ms to each.
      socket.setNoDelay(true);
      handle(socket);
    },
  );
  // A failed handshake only affects that socket.
  server.on('tlsClientError', () => undefined);
  return server;
}

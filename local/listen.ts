/** Starting and stopping the local services' TCP servers (HTTP and MQTT over TLS alike). */
import type { Server } from 'node:net';

/**
 * Listens on `host` (port 0 picks a free one) and resolves with the bound port; rejects with the
 * listen error, such as EADDRINUSE.
 */
export async function listenOn(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return boundPort(server, `the server on ${host}`);
}

/** The port a listening server is bound to; `what` names the server in the error when it is not. */
export function boundPort(server: Server, what: string): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`${what} is not listening`);
  return address.port;
}

/** Stops a listening HTTP server, ending its open connections (keep-alive ones too) so it closes at once. */
export async function closeListening(server: Server & { closeAllConnections(): void }): Promise<void> {
  if (!server.listening) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

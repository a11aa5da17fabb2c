import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP relay between devices and the broker that a test can cut, like a network that blinks: every
 * connection through it drops at once, without MQTT DISCONNECT. The target port is read per
 * connection, so the broker may come back elsewhere.
 */
export class CuttableProxy {
  cuts = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly sockets: Set<Socket>,
  ) {}

  static async start(target: () => number): Promise<CuttableProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((inbound) => {
      const outbound = tcpConnect(target(), '127.0.0.1');
      sockets.add(inbound);
      sockets.add(outbound);
      const close = (): void => {
        inbound.destroy();
        outbound.destroy();
        sockets.delete(inbound);
        sockets.delete(outbound);
      };
      inbound.on('error', close).on('close', close);
      outbound.on('error', close).on('close', close);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    return new CuttableProxy(server, address.port, sockets);
  }

  /** Drops every connection through the relay now. */
  cut(): void {
    this.cuts += 1;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

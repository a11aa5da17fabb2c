import type { BusMessage, MessageBus } from '../../../../../local/iot/interfaces.ts';

/** An in-memory MessageBus: `inject` plays a device publish; `published` records the service's own publishes. */
export class MemoryBus implements MessageBus {
  private readonly listeners = new Set<(message: BusMessage) => void>();
  readonly published: BusMessage[] = [];
  /** When set, `publish` rejects with this error (to exercise failing actions). */
  failPublishWith: Error | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  subscribe(listener: (message: BusMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publish(message: {
    topic: string;
    payload: Buffer | string;
    qos?: 0 | 1;
    retain?: boolean;
  }): Promise<void> {
    if (this.failPublishWith) throw this.failPublishWith;
    this.inject({
      topic: message.topic,
      payload: Buffer.isBuffer(message.payload) ? message.payload : Buffer.from(message.payload),
      qos: message.qos ?? 0,
      retain: message.retain ?? false,
    });
  }

  inject(message: Omit<BusMessage, 'receivedAt'> & { receivedAt?: number }): void {
    const full: BusMessage = { ...message, receivedAt: message.receivedAt ?? this.now() };
    if (full.clientId === undefined) this.published.push(full);
    for (const listener of this.listeners) listener(full);
  }
}

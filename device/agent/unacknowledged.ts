/** A QoS 1 publish the broker has not acknowledged, and the certificate it went over. */
export interface Unacknowledged {
  readonly certificatePem: string;
  readonly topic: string;
  readonly payload: string;
  readonly onError: (error: Error) => void;
}

/**
 * The link's QoS 1 publishes awaiting their PUBACK. MQTT expects a persistent session's client to
 * send them again when it reconnects; each connection here is a new mqtt.js client, which would not.
 */
export class UnacknowledgedPublishes {
  private readonly pending = new Set<Unacknowledged>();

  add(message: Unacknowledged): Unacknowledged {
    this.pending.add(message);
    return message;
  }

  acknowledged(message: Unacknowledged): void {
    this.pending.delete(message);
  }

  /** Takes them all: those that went over `certificatePem`, to send again; the others are dropped. */
  takeFor(certificatePem: string | undefined): Unacknowledged[] {
    const taken = [...this.pending].filter((m) => m.certificatePem === certificatePem);
    this.pending.clear();
    return taken;
  }
}

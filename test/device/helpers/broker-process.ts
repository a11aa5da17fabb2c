import { TestBroker } from './test-broker.ts';

/**
 * The test broker in its own process, driven over the IPC channel, so a fleet's memory can be
 * measured without the broker's share. Messages: {type:'provision', id, thingName, notBefore,
 * notAfter} -> {type:'provisioned', id, pair}; it announces {type:'ready', port, caPem} first.
 */
const broker = await TestBroker.start();
const send = (message: unknown): void => {
  process.send?.(message);
};

process.on('message', (raw: unknown) => {
  if (typeof raw !== 'object' || raw === null || !('type' in raw)) return;
  if (raw.type === 'stop') {
    void broker.stop().then(() => process.exit(0));
    return;
  }
  if (raw.type === 'provision' && 'id' in raw && 'thingName' in raw && typeof raw.thingName === 'string') {
    const { id, thingName } = raw;
    void broker.provisionDevice(thingName).then((pair) => send({ type: 'provisioned', id, pair }));
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', port: broker.port, caPem: broker.pki.caCertificatePem });

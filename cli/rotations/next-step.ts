import type { RotationRecord } from './records.ts';

/** What the operator can do next for a rotation in its current state, as one line with the command. */
export function nextStep(record: RotationRecord, redriveStatus: string | undefined): string {
  const thing = record.thingName;
  switch (record.status) {
    case 'SUCCEEDED':
      return 'nothing: the device uses its new certificate and the old one is retired.';
    case 'ABANDONED':
      return `the thing keeps its old certificate; "recert rotate ${thing} --fresh" starts a new rotation.`;
    case 'IN_PROGRESS':
      switch (record.phase) {
        case 'AWAITING_CSR':
          return `waiting for the device's CSR (it may be offline: the rotation resumes when it reconnects); "recert abandon ${thing}" stops it.`;
        case 'AWAITING_ACK':
          return `waiting for the device to connect with its new certificate; "recert abandon ${thing}" stops it and revokes that certificate.`;
        default:
          return `wait: the workflow is working (phase ${record.phase}); "recert rotations show ${thing}" again to follow it.`;
      }
    default:
      // FAILED, TIMED_OUT, ABORTED.
      if (redriveStatus === undefined || redriveStatus === 'REDRIVABLE') {
        return `"recert redrive ${thing}" resumes it at the step that failed, or "recert abandon ${thing}" gives up (the old certificate stays).`;
      }
      return `it cannot be redriven (${redriveStatus.toLowerCase().replaceAll('_', ' ')}): "recert rotate ${thing} --fresh" starts over, or "recert abandon ${thing}" gives up.`;
  }
}

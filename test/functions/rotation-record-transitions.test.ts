import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deleteDocument, putDocument, updateDocument } from '../../functions/shared/document-commands.ts';
import { ExpressionPlaceholders } from '../../functions/shared/update-expression.ts';
import { isNamed } from '../../workflows/rotate-device/aws-errors.ts';
import { DEVICE_TO_CLOUD } from '../../workflows/rotate-device/protocol.ts';
import {
  ATTEMPT_FLOW,
  acceptedUnanswered,
  acceptPendingReply,
  acceptReadReply,
  conditionExpression,
  failedRequirements,
  IN_PROGRESS,
  isPast,
  RECORD_WRITES,
  RESUMABLE,
  type Requirement,
} from '../../workflows/rotate-device/record-transitions.ts';
import { ROTATION_PHASES, type RotationPhase } from '../../workflows/rotate-device/table.ts';
import { useKeyedTable } from './dynalite.ts';

/** Every requirement list of the table, by name, as the store sends them (resumable writes both ways). */
const CONDITIONS: [string, readonly Requirement[]][] = [
  ...Object.entries(RECORD_WRITES).flatMap(([name, write]): [string, readonly Requirement[]][] =>
    'resumes' in write && write.resumes
      ? [
          [`${name} in progress`, [...write.requires, IN_PROGRESS]],
          [`${name} resumed`, [...write.requires, RESUMABLE]],
        ]
      : [[name, write.requires]],
  ),
  ...DEVICE_TO_CLOUD.flatMap((kind): [string, readonly Requirement[]][] => [
    [`acceptPendingReply ${kind}`, acceptPendingReply(kind).requires],
    [`acceptReadReply ${kind}`, acceptReadReply(kind).requires],
    [`acceptedUnanswered ${kind}`, acceptedUnanswered(kind)],
  ]),
];

/** Small pools, so that records and parameters often match and often do not. */
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const ids = fc.constantFrom('id-1', 'id-2');
const record = fc.record({
  status: fc.constantFrom('IN_PROGRESS', 'FAILED', 'TIMED_OUT', 'ABORTED', 'SUCCEEDED', 'ABANDONED'),
  phase: fc.constantFrom(...ROTATION_PHASES),
  executionArn: fc.constantFrom('exec-1', 'exec-2'),
  rotationId: maybe(ids),
  taskToken: maybe(ids),
  acceptedReply: maybe(ids),
  oldCertificateId: maybe(ids),
  newCertificateId: maybe(ids),
  issuingRotationId: maybe(ids),
  newCertificateRotationId: maybe(ids),
  escalatedAt: maybe(fc.constant('2026-06-01T00:00:00.000Z')),
});
const params = fc.record({
  executionArn: fc.constantFrom('exec-1', 'exec-2'),
  rotationId: ids,
  principal: ids,
  taskToken: ids,
  certificateId: ids,
  acceptedReply: ids,
  oldCertificateId: maybe(ids),
});

describe('the record-transitions table', () => {
  const TABLE = 'record-transitions';
  const table = useKeyedTable(TABLE, 'thingName');

  it('DynamoDB and the in-memory check agree on every condition of the table, for any record or none', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CONDITIONS),
        maybe(record),
        params,
        async ([, requires], stored, given) => {
          // Prepare
          if (stored)
            await table.db().send(putDocument({ TableName: TABLE, Item: { thingName: 't', ...stored } }));
          else await table.db().send(deleteDocument({ TableName: TABLE, Key: { thingName: 't' } }));
          const p = new ExpressionPlaceholders();
          const condition = conditionExpression(requires, given, p);
          // Act
          const written = await table
            .db()
            .send(
              updateDocument({
                TableName: TABLE,
                Key: { thingName: 't' },
                UpdateExpression: `SET ${p.name('probe')} = ${p.value(1)}`,
                ConditionExpression: condition,
                ...p.attributes(),
              }),
            )
            .then(
              () => true,
              (error: unknown) => {
                if (isNamed(error, 'ConditionalCheckFailedException')) return false;
                throw error;
              },
            );
          // Assess
          expect(failedRequirements(requires, stored, given).length === 0).toBe(written);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('names the requirements a record fails, in the table’s order', () => {
    // Act
    const failed = failedRequirements(
      acceptPendingReply('crt_ack').requires,
      { status: 'FAILED', rotationId: 'r1', phase: 'AWAITING_CSR', taskToken: 't', newCertificateId: 'c2' },
      { rotationId: 'r1', principal: 'c1' },
    );
    // Assess
    expect(failed).toEqual(['inProgress', 'phase', 'principal']);
  });

  it('refuses to render a condition whose parameter is missing, naming both', () => {
    expect(() =>
      conditionExpression(
        RECORD_WRITES.markParked.requires,
        { executionArn: 'e' },
        new ExpressionPlaceholders(),
      ),
    ).toThrow('requirement rotation needs the parameter rotationId');
  });

  it('every write that names the phase it moves from moves along the attempt flow', () => {
    const moves = [
      ...DEVICE_TO_CLOUD.flatMap((kind) => [acceptPendingReply(kind), acceptReadReply(kind)]),
      ...Object.values(RECORD_WRITES),
    ].flatMap((write) => {
      const from = write.requires.find((r) => r.name === 'phase');
      if (from?.test !== 'oneOf' || !('to' in write) || write.to === undefined) return [];
      const to: RotationPhase = write.to;
      return from.operands.map((o) => ['constant' in o ? o.constant : '?', to]);
    });
    expect(moves.length).toBeGreaterThan(0);
    for (const [from, to] of moves) {
      expect(ATTEMPT_FLOW[from as RotationPhase], `${from} -> ${to}`).toContain(to);
    }
  });

  it('a wait is past in the phases an attempt reaches after it, and only those', () => {
    const past = (wait: RotationPhase) => ROTATION_PHASES.filter((phase) => isPast(phase, wait));
    expect(past('AWAITING_CSR')).toEqual([
      'CSR_RECEIVED',
      'ISSUING',
      'ISSUED',
      'AWAITING_ACK',
      'PROVEN',
      'DEVICE_ERROR',
      'REVOKED',
      'RETIRED',
      'DONE',
    ]);
    expect(past('AWAITING_ACK')).toEqual(['PROVEN', 'DEVICE_ERROR', 'REVOKED', 'RETIRED', 'DONE']);
  });
});

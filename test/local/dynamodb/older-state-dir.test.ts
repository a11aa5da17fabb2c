import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { collect, queryByStatus } from '../../../cli/rotations/records.ts';
import type { Target } from '../../../cli/target/target.ts';
import { RotationRecordStore } from '../../../functions/shared/rotation-record.ts';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb.ts';
import { LOCAL_RESOURCE_NAMES } from '../../../local/stack/resources.ts';
import { useTempLocalAws } from '../temp-local-aws.ts';
import { OLDER_ROTATION_TABLE } from './older-rotation-table.ts';

const ANY_PORTS = { stepFunctions: 0, iot: 0, mqtt: 0, dynamodb: 0, events: 0 } as const;
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:recert-rotate-device:busy-1';

const temp = useTempLocalAws('recert-older-');

describe('the local AWS on a state directory from before the byStatus index was sorted by statusSince', () => {
  it('opens, lists its rotations by status, and moves a record in the index when its status changes', async () => {
    // Prepare: the rotation table as older recert created it, with a record in flight and one failed.
    const stateDir = await temp.makeStateDir();
    const older = new LocalDynamoDb({ stateDir });
    await older.start();
    await older.ensureTable({ ...OLDER_ROTATION_TABLE, tableName: LOCAL_RESOURCE_NAMES.table });
    const doc = DynamoDBDocumentClient.from(older.client());
    const base = { phase: 'AWAITING_CSR', oldCertificateId: 'a'.repeat(64), campaign: 'manual' };
    await doc.send(
      new PutCommand({
        TableName: LOCAL_RESOURCE_NAMES.table,
        Item: {
          ...base,
          thingName: 'busy-1',
          status: 'IN_PROGRESS',
          executionArn: EXECUTION,
          startedAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:03:00.000Z',
        },
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: LOCAL_RESOURCE_NAMES.table,
        Item: {
          ...base,
          thingName: 'failed-1',
          status: 'FAILED',
          executionArn: `${EXECUTION}-x`,
          startedAt: '2026-01-01T00:00:00.000Z',
          completedAt: '2026-01-01T01:00:00.000Z',
          updatedAt: '2026-01-01T01:00:00.000Z',
        },
      }),
    );
    doc.destroy();
    await older.close();

    // Act
    const local = await temp.start({ stateDir, ports: ANY_PORTS });
    const target: Target = {
      kind: 'local',
      resources: {
        region: 'us-east-1',
        stateMachineArn: local.resources.stateMachineArn,
        rotationTableName: local.resources.rotationTableName,
        escalationTopicArn: 'arn:aws:sns:us-east-1:000000000000:recert-escalations',
        auditTopicArn: 'arn:aws:sns:us-east-1:000000000000:recert-audit-notifications',
      },
      sfn: local.clients.sfn,
      iot: local.clients.iot,
      dynamodb: local.clients.dynamodb,
      db: local.clients.documents,
      consoleLink: () => undefined,
      close: () => undefined,
    };
    const inFlight = await collect(queryByStatus(target, { status: 'IN_PROGRESS' }));
    const failed = await collect(queryByStatus(target, { status: 'FAILED' }));
    const store = new RotationRecordStore(local.clients.dynamodb, local.resources.rotationTableName);
    await store.recordOutcome({
      thingName: 'busy-1',
      executionArn: EXECUTION,
      status: 'TIMED_OUT',
      cause: 'States.Timeout',
      now: Date.parse('2026-01-02T00:00:00.000Z'),
      retentionSeconds: 60,
    });
    const inFlightAfter = await collect(queryByStatus(target, { status: 'IN_PROGRESS' }));
    const timedOut = await collect(queryByStatus(target, { status: 'TIMED_OUT' }));

    // Assess
    expect(inFlight.map((r) => [r.thingName, r.statusSince])).toEqual([
      ['busy-1', '2026-01-01T00:00:00.000Z'],
    ]);
    expect(failed.map((r) => [r.thingName, r.statusSince])).toEqual([
      ['failed-1', '2026-01-01T01:00:00.000Z'],
    ]);
    expect(inFlightAfter).toEqual([]);
    expect(timedOut.map((r) => [r.thingName, r.statusSince])).toEqual([
      ['busy-1', '2026-01-02T00:00:00.000Z'],
    ]);
  });
});

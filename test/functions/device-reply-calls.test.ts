import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { toAttributeMap } from '../../functions/shared/document-commands.ts';
import { type RotationRecord, RotationRecordStore } from '../../functions/shared/rotation-record.ts';
import { CSR, runDeviceReply, useAnsweredTasks } from './device-reply-fixtures.ts';
import { readableUpdate } from './expression-text.ts';
import { claimedRecord, conditionFailed, plainInput } from './harness.ts';
import { NEW_CERT_ID, NEXT_ROTATION_ID, NOW, OLD_CERT_ID, ROTATION_ID, THING } from './rotation-ids.ts';

/**
 * The DynamoDB calls device-reply makes, one by one: a reply to the pending wait is accepted with one
 * conditional UpdateItem that holds every check of invariant 3; a refused write returns the record
 * (ALL_OLD), which names the reason, and the record is read only when the reply lacks its rotationId.
 */

const TABLE = 'rotations';
const db = new DynamoDBClient({ region: 'us-east-1' });
const dbMock = mockClient(db);
const { sfn, sfnMock } = useAnsweredTasks();

beforeEach(() => {
  dbMock.reset();
});

const afterAcceptance = (o: Partial<RotationRecord>): RotationRecord =>
  claimedRecord({ rotationId: ROTATION_ID, taskToken: 'token-from-the-write', ...o });

/** The DynamoDB commands sent, in order, by their name. */
const dynamoCalls = () => dbMock.calls().map((c) => c.args[0].constructor.name);

/** The UpdateItem sent first, its key and values as plain values. */
const firstUpdate = () => plainInput(dbMock.commandCalls(UpdateItemCommand)[0]?.args[0].input);

/** The device's csr_res to the pending wait, over its old certificate. */
const CSR_REPLY = { clientId: THING, principal: OLD_CERT_ID, kind: 'csr_res', rotationId: ROTATION_ID, CSR };

const run = (event: Record<string, unknown>, acceptMissingRotationId = true) =>
  runDeviceReply(event, { store: new RotationRecordStore(db, TABLE), sfn }, acceptMissingRotationId);

describe('device-reply: a reply to the pending wait costs one DynamoDB call', () => {
  it('csr_res: one conditional UpdateItem holding every check, no read, the token taken from its result', async () => {
    // Prepare
    dbMock.on(UpdateItemCommand).resolves({
      Attributes: toAttributeMap(
        afterAcceptance({ phase: 'CSR_RECEIVED', acceptedReply: `${ROTATION_ID}/csr_res` }),
      ),
    });
    // Act
    const { result, counts } = run(CSR_REPLY);
    // Assess
    await expect(result).resolves.toEqual({ outcome: 'accepted', kind: 'csr_res' });
    expect(dynamoCalls()).toEqual(['UpdateItemCommand']);
    const update = firstUpdate();
    expect(update).toMatchObject({
      TableName: TABLE,
      Key: { thingName: THING },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const { condition, update: changes } = readableUpdate(update);
    expect(condition).toBe(
      `status = "IN_PROGRESS" AND rotationId = "${ROTATION_ID}" AND phase = "AWAITING_CSR" AND ` +
        'attribute_exists(taskToken) AND attribute_not_exists(acceptedReply) AND ' +
        `oldCertificateId = "${OLD_CERT_ID}"`,
    );
    expect(changes).toContain(`acceptedReply = "${ROTATION_ID}/csr_res"`);
    expect(changes).toContain('phase = "CSR_RECEIVED"');
    // The update sets the acceptance and never touches the token: an interrupted answer is sent again.
    expect(changes).not.toContain('taskToken');
    const answer = sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(answer?.taskToken).toBe('token-from-the-write');
    expect(JSON.parse(answer?.output ?? '{}')).toEqual({ rotationId: ROTATION_ID, csr: CSR });
    expect(counts).toEqual(['ReplyAccepted:csr_res']);
  });

  it('crt_ack: the new certificate is the expected principal (in any letter case) and the proof is recorded in the same write', async () => {
    // Prepare
    const provenAt = new Date(NOW).toISOString();
    dbMock.on(UpdateItemCommand).resolves({
      Attributes: toAttributeMap(
        afterAcceptance({
          phase: 'PROVEN',
          newCertificateId: NEW_CERT_ID,
          newCertificateRotationId: ROTATION_ID,
          provenAt,
          provenCertificateId: NEW_CERT_ID,
        }),
      ),
    });
    // Act
    const { result } = run({
      clientId: THING,
      principal: NEW_CERT_ID.toUpperCase(),
      kind: 'crt_ack',
      rotationId: ROTATION_ID,
    });
    // Assess
    await expect(result).resolves.toEqual({ outcome: 'accepted', kind: 'crt_ack' });
    expect(dynamoCalls()).toEqual(['UpdateItemCommand']);
    const update = firstUpdate();
    const { condition, update: changes } = readableUpdate(update);
    expect(condition).toContain(`newCertificateId = "${NEW_CERT_ID}"`);
    expect(condition).toContain('phase = "AWAITING_ACK"');
    expect(changes).toContain('phase = "PROVEN"');
    expect(Object.values(update?.ExpressionAttributeValues ?? {})).toEqual(
      expect.arrayContaining([provenAt, NEW_CERT_ID]),
    );
    const output = sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output;
    expect(JSON.parse(output ?? '{}')).toEqual({
      rotationId: ROTATION_ID,
      certificateId: NEW_CERT_ID,
      provenAt,
    });
  });

  it('crt_err: one write expecting the old certificate, then the wait fails', async () => {
    // Prepare
    dbMock
      .on(UpdateItemCommand)
      .resolves({ Attributes: toAttributeMap(afterAcceptance({ phase: 'DEVICE_ERROR' })) });
    // Act
    const { result } = run({
      clientId: THING,
      principal: OLD_CERT_ID,
      kind: 'crt_err',
      rotationId: ROTATION_ID,
      error: 'no room for the key',
    });
    // Assess
    await expect(result).resolves.toEqual({ outcome: 'accepted', kind: 'crt_err' });
    expect(dynamoCalls()).toEqual(['UpdateItemCommand']);
    const { condition, update: changes } = readableUpdate(firstUpdate());
    expect(condition).toContain(`oldCertificateId = "${OLD_CERT_ID}"`);
    expect(changes).toContain('lastError = "crt_err: no room for the key"');
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({
      taskToken: 'token-from-the-write',
      error: 'DeviceCertificateError',
    });
  });
});

describe('device-reply: the record is read only when it must be', () => {
  it('a refused write names the reason from the record DynamoDB returns with it: nothing is read or written', async () => {
    // Prepare
    dbMock
      .on(UpdateItemCommand)
      .rejects(
        conditionFailed(
          claimedRecord({ phase: 'AWAITING_CSR', rotationId: NEXT_ROTATION_ID, taskToken: 'token-csr' }),
        ),
      );
    // Act
    const { result, counts } = run(CSR_REPLY);
    // Assess
    await expect(result).resolves.toMatchObject({ outcome: 'rejected', reason: 'stale-rotation' });
    expect(dynamoCalls()).toEqual(['UpdateItemCommand']);
    expect(counts).toEqual(['ReplyRejected:stale-rotation']);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('a reply without rotationId is read first: its acceptance mark needs the record’s rotationId', async () => {
    // Prepare
    dbMock.on(GetItemCommand).resolves({
      Item: toAttributeMap(
        claimedRecord({ phase: 'AWAITING_CSR', rotationId: ROTATION_ID, taskToken: 'token-csr' }),
      ),
    });
    dbMock.on(UpdateItemCommand).resolves({
      Attributes: toAttributeMap(afterAcceptance({ phase: 'CSR_RECEIVED', taskToken: 'token-csr' })),
    });
    // Act
    const { result } = run({ clientId: THING, principal: OLD_CERT_ID, kind: 'csr_res', CSR });
    // Assess
    await expect(result).resolves.toEqual({ outcome: 'accepted', kind: 'csr_res' });
    expect(dynamoCalls()).toEqual(['GetItemCommand', 'UpdateItemCommand']);
    const { condition, update } = readableUpdate(firstUpdate());
    expect(update).toContain(`acceptedReply = "${ROTATION_ID}/csr_res"`);
    expect(condition).toContain('taskToken = "token-csr"');
  });

  it('a reply without rotationId when leniency is off is rejected after the read, writing nothing', async () => {
    // Prepare
    dbMock.on(GetItemCommand).resolves({
      Item: toAttributeMap(
        claimedRecord({ phase: 'AWAITING_CSR', rotationId: ROTATION_ID, taskToken: 'token-csr' }),
      ),
    });
    // Act
    const { result } = run({ clientId: THING, principal: OLD_CERT_ID, kind: 'csr_res', CSR }, false);
    // Assess
    await expect(result).resolves.toMatchObject({ outcome: 'rejected', reason: 'missing-rotation-id' });
    expect(dynamoCalls()).toEqual(['GetItemCommand']);
  });
});

import { IoTClient } from '@aws-sdk/client-iot';
import { PublishCommand as IotPublishCommand } from '@aws-sdk/client-iot-data-plane';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handleDeviceReply } from '../../functions/event-triggered/device-reply/device-reply.ts';
import { recordOutcome } from '../../functions/event-triggered/outcome-recorder/outcome-recorder.ts';
import { requestCsr } from '../../functions/rotation-steps/request-csr/request-csr.ts';
import { CampaignCounters, countedCampaign } from '../../functions/shared/campaign-counters.ts';
import { documentOf, getDocument } from '../../functions/shared/document-commands.ts';
import { type CampaignTableHarness, startCampaignTable } from './campaign-fakes.ts';
import { useAnsweredTasks } from './device-reply-fixtures.ts';
import {
  claimedRecord,
  clock,
  csrRequestInput,
  recorders,
  startTable,
  type TableHarness,
} from './harness.ts';
import { usePublishingIotData } from './iot-fakes.ts';
import { EXECUTION_ARN, OLD_CERT_ID, ROTATION_ID, THING } from './rotation-ids.ts';

const PACING = {
  startsPerSecond: 5,
  maxInFlight: 10,
  failureRateThreshold: 0.1,
  minFinishedForFailureRate: 20,
};
const ROTATION_SM = 'arn:aws:states:us-east-1:000000000000:stateMachine:recert-rotate-device';
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----';
const sns = new SNSClient({ region: 'us-east-1' });
const { sfn, sfnMock } = useAnsweredTasks();
const { iotData, iotDataMock } = usePublishingIotData();
const iot = new IoTClient({ region: 'us-east-1' });
const snsMock = mockClient(sns);

let campaigns: CampaignTableHarness;
let rotations: TableHarness;
let counters: CampaignCounters;
let n = 0;
let campaignId: string;

beforeAll(async () => {
  [campaigns, rotations] = await Promise.all([startCampaignTable(), startTable()]);
  counters = new CampaignCounters(campaigns.db, campaigns.tableName);
});
afterAll(async () => {
  await Promise.all([campaigns.close(), rotations.close()]);
});
beforeEach(async () => {
  n++;
  campaignId = `audit-k${n}`;
  await campaigns.store.createMeta({
    campaignId,
    source: { kind: 'audit' },
    pacing: PACING,
    now: clock.now(),
  });
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
});

const meta = async () => campaigns.store.getMeta(campaignId);
const statusChange = (status: string, campaign: string = campaignId) => ({
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn: EXECUTION_ARN,
    stateMachineArn: ROTATION_SM,
    status,
    input: JSON.stringify({
      thingName: THING,
      oldCertificateId: OLD_CERT_ID,
      ...(campaign ? { campaign } : {}),
    }),
    error: status === 'SUCCEEDED' ? null : 'States.Timeout',
    cause: null,
  },
});

function recorder(event: unknown) {
  const { log, counter } = recorders();
  return recordOutcome(event, {
    store: rotations.store,
    sns,
    iot,
    clock,
    log,
    counter,
    stateMachineArn: ROTATION_SM,
    escalationTopicArn: 'arn:aws:sns:us-east-1:000000000000:esc',
    retentionSeconds: 60,
    campaigns: counters,
  });
}

let tokens = 0;
/** One run of request-csr; each run is a new wait (a timeout's retry gets a fresh token). */
function request(attempt = 1) {
  const { log, counter } = recorders();
  tokens++;
  return requestCsr(csrRequestInput({ taskToken: `token-${attempt}-${tokens}`, attempt }), {
    store: rotations.store,
    iotData,
    clock,
    log,
    counter,
    campaigns: counters,
  });
}

/** The rotation's own item in the campaign table (X#<execution name>), if any. */
async function rotationItem(): Promise<Record<string, unknown> | undefined> {
  const name = EXECUTION_ARN.split(':').at(-1) ?? '';
  const out = await campaigns.db.send(
    getDocument({
      TableName: campaigns.tableName,
      Key: { campaignId, entry: `X#${name}` },
      ConsistentRead: true,
    }),
  );
  return documentOf(out.Item);
}

function reply() {
  const { log, counter } = recorders();
  return handleDeviceReply(
    { clientId: THING, principal: OLD_CERT_ID, kind: 'csr_res', rotationId: ROTATION_ID, CSR },
    { store: rotations.store, sfn, clock, log, counter, acceptMissingRotationId: true, campaigns: counters },
  );
}

describe('campaign counters moved by the rotations', () => {
  it('counts a rotation that ended once, however often its event is delivered', async () => {
    // Act
    await recorder(statusChange('SUCCEEDED'));
    await recorder(statusChange('SUCCEEDED'));
    // Assess
    expect(await meta()).toMatchObject({ succeeded: 1, failed: 0 });
  });

  it('moves a redriven rotation that failed and then succeeded from failed to succeeded', async () => {
    // Prepare
    await rotations.put(claimedRecord({ campaign: campaignId }));
    await recorder(statusChange('FAILED'));
    await recorder(statusChange('FAILED'));
    const afterFailure = await meta();
    // Act
    await recorder(statusChange('SUCCEEDED'));
    // Assess
    expect(afterFailure).toMatchObject({ succeeded: 0, failed: 1 });
    expect(await meta()).toMatchObject({ succeeded: 1, failed: 0 });
  });

  it('parks a rotation whose device did not answer its request, once, and unparks it when the CSR comes', async () => {
    // Prepare
    await rotations.put(claimedRecord({ campaign: campaignId }));
    // Act: the request, then two timeouts of the same request
    await request();
    const first = await meta();
    await request();
    await request();
    const parked = await meta();
    const answered = await reply();
    // Assess
    expect(first?.parked).toBe(0);
    expect(parked?.parked).toBe(1);
    expect(answered).toEqual({ outcome: 'accepted', kind: 'csr_res' });
    expect((await meta())?.parked).toBe(0);
  });

  it('a parked rotation that ends frees its parked count', async () => {
    // Prepare
    await rotations.put(claimedRecord({ campaign: campaignId }));
    await request();
    await request();
    // Act
    await recorder(statusChange('FAILED'));
    // Assess
    expect(await meta()).toMatchObject({ parked: 0, failed: 1 });
  });

  it('counts nothing for a rotation started by hand or for a campaign that has no META item', async () => {
    // Act
    await recorder(statusChange('SUCCEEDED', 'manual'));
    await recorder(statusChange('SUCCEEDED', ''));
    const missing = await counters.add('audit-nowhere', { succeeded: 1 }, clock.now());
    // Assess
    expect(await meta()).toMatchObject({ succeeded: 0, failed: 0 });
    expect(missing).toBe(false);
    expect(await campaigns.store.getMeta('audit-nowhere')).toBeUndefined();
    expect([countedCampaign('manual'), countedCampaign(undefined), countedCampaign('bad id!')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('a first request writes nothing to the campaign table, and an unparked reply unparks nothing', async () => {
    // Prepare
    await rotations.put(claimedRecord({ campaign: campaignId }));
    // Act
    await request();
    const afterRequest = await rotationItem();
    await reply();
    // Assess
    expect(afterRequest).toBeUndefined();
    expect(await rotationItem()).toBeUndefined();
    expect((await rotations.read(THING))?.campaignParkedRotationId).toBeUndefined();
    expect(await meta()).toMatchObject({ parked: 0 });
  });

  it('a retry of the same invocation (same token) or of an unsent request is no repeat and parks nothing', async () => {
    // Prepare
    await rotations.put(claimedRecord({ campaign: campaignId }));
    const input = csrRequestInput({ taskToken: 'token-same' });
    const deps = () => ({ store: rotations.store, iotData, clock, ...recorders(), campaigns: counters });
    // Act: the same invocation twice, then a new wait whose publish fails, and its retry.
    await requestCsr(input, deps());
    await requestCsr(input, deps());
    iotDataMock
      .on(IotPublishCommand)
      .rejects(Object.assign(new Error('slow'), { name: 'ThrottlingException' }));
    await rotations.put(claimedRecord({ campaign: campaignId }));
    await expect(requestCsr({ ...input, taskToken: 'token-a' }, deps())).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    const unsent = (await rotations.read(THING))?.csrRequestUnsent;
    iotDataMock.on(IotPublishCommand).resolves({});
    await requestCsr({ ...input, taskToken: 'token-b' }, deps());
    // Assess
    expect(unsent).toBe(`${ROTATION_ID}/1`);
    expect(await meta()).toMatchObject({ parked: 0 });
    expect(await rotationItem()).toBeUndefined();
    // The retry's wait clears the mark, so a timeout of it parks as usual.
    await request();
    expect(await meta()).toMatchObject({ parked: 1 });
  });

  it('a parked rotation whose reply invocation died after Step Functions heard it is unparked by the redelivery', async () => {
    // Prepare: parked; the reply's answer closes the wait but its invocation dies before it unparks.
    await rotations.put(claimedRecord({ campaign: campaignId }));
    await request();
    await request();
    const parked = await meta();
    const killed = Object.assign(new Error('the invocation ended'), { name: 'InvocationKilled' });
    const timedOut = Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
    sfnMock.on(SendTaskSuccessCommand).rejectsOnce(killed).rejects(timedOut);
    await expect(reply()).rejects.toMatchObject({ name: 'InvocationKilled' });
    // Act: the redelivery meets the closed wait.
    const redelivered = await reply();
    // Assess
    expect(parked).toMatchObject({ parked: 1 });
    expect(redelivered).toMatchObject({ outcome: 'rejected', reason: 'duplicate' });
    expect(await meta()).toMatchObject({ parked: 0 });
    expect(await rotationItem()).not.toHaveProperty('parkedAt');
  });
});

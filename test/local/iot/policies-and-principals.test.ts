import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeleteConflictException,
  DeletePolicyCommand,
  DeleteThingCommand,
  DescribeEndpointCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  InvalidRequestException,
  ListAttachedPoliciesCommand,
  ListPrincipalThingsCommand,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
  MalformedPolicyException,
  paginateListPolicies,
  paginateListPrincipalThings,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type TestCore } from './helpers/core.ts';

const DOC = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:*:*:client/\${iot:ClientId}` },
  ],
});

describe('policies and thing principals through the IoT SDK', () => {
  let t: TestCore;
  let certArn: string;
  beforeEach(async () => {
    t = await startCore();
    const cert = await t.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    certArn = cert.certificateArn ?? '';
  });
  afterEach(async () => {
    await t.close();
  });

  it('creates and reads a policy, refuses duplicates and malformed documents', async () => {
    // Act
    const created = await t.iot.send(new CreatePolicyCommand({ policyName: 'dev', policyDocument: DOC }));
    const got = await t.iot.send(new GetPolicyCommand({ policyName: 'dev' }));

    // Assess
    expect(created).toMatchObject({ policyName: 'dev', policyVersionId: '1', policyDocument: DOC });
    expect(got).toMatchObject({
      policyArn: 'arn:aws:iot:us-east-1:000000000000:policy/dev',
      defaultVersionId: '1',
    });
    expect(got.creationDate).toBeInstanceOf(Date);
    await expect(
      t.iot.send(new CreatePolicyCommand({ policyName: 'dev', policyDocument: DOC })),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(
      t.iot.send(new CreatePolicyCommand({ policyName: 'bad', policyDocument: '{"Statement": "nope"}' })),
    ).rejects.toBeInstanceOf(MalformedPolicyException);
    await expect(t.iot.send(new GetPolicyCommand({ policyName: 'missing' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('attaches and detaches a policy, lists both directions, and refuses to delete it while attached', async () => {
    // Prepare
    await t.iot.send(new CreatePolicyCommand({ policyName: 'dev', policyDocument: DOC }));

    // Act
    await t.iot.send(new AttachPolicyCommand({ policyName: 'dev', target: certArn }));
    await t.iot.send(new AttachPolicyCommand({ policyName: 'dev', target: certArn }));
    const attached = await t.iot.send(new ListAttachedPoliciesCommand({ target: certArn }));
    const targets = await t.iot.send(new ListTargetsForPolicyCommand({ policyName: 'dev' }));
    const refused = t.iot.send(new DeletePolicyCommand({ policyName: 'dev' }));

    // Assess
    expect(attached.policies?.map((p) => p.policyName)).toEqual(['dev']);
    expect(targets.targets).toEqual([certArn]);
    await expect(refused).rejects.toBeInstanceOf(DeleteConflictException);
    await t.iot.send(new DetachPolicyCommand({ policyName: 'dev', target: certArn }));
    await t.iot.send(new DeletePolicyCommand({ policyName: 'dev' }));
    await expect(t.iot.send(new GetPolicyCommand({ policyName: 'dev' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('refuses policy targets and principals that are not existing certificates', async () => {
    // Prepare
    await t.iot.send(new CreatePolicyCommand({ policyName: 'dev', policyDocument: DOC }));
    await t.iot.send(new CreateThingCommand({ thingName: 'dev-1' }));
    const unknownArn = `arn:aws:iot:us-east-1:000000000000:cert/${'0'.repeat(64)}`;

    // Act / Assess
    await expect(
      t.iot.send(new AttachPolicyCommand({ policyName: 'dev', target: unknownArn })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      t.iot.send(new AttachPolicyCommand({ policyName: 'dev', target: 'not-an-arn' })),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(
      t.iot.send(new AttachThingPrincipalCommand({ thingName: 'dev-1', principal: unknownArn })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      t.iot.send(new AttachThingPrincipalCommand({ thingName: 'nobody', principal: certArn })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('attaches a certificate to things, lists both ways with pagination, and keeps a thing with principals', async () => {
    // Prepare
    for (let i = 0; i < 5; i++) await t.iot.send(new CreateThingCommand({ thingName: `t-${i}` }));

    // Act
    for (let i = 0; i < 5; i++) {
      await t.iot.send(new AttachThingPrincipalCommand({ thingName: `t-${i}`, principal: certArn }));
    }
    const things: string[] = [];
    for await (const page of paginateListPrincipalThings(
      { client: t.iot, pageSize: 2 },
      { principal: certArn },
    )) {
      things.push(...(page.things ?? []));
    }
    const principals = await t.iot.send(new ListThingPrincipalsCommand({ thingName: 't-3' }));
    const refused = t.iot.send(new DeleteThingCommand({ thingName: 't-3' }));

    // Assess
    expect(things).toEqual(['t-0', 't-1', 't-2', 't-3', 't-4']);
    expect(principals.principals).toEqual([certArn]);
    await expect(refused).rejects.toBeInstanceOf(InvalidRequestException);
    await t.iot.send(new DetachThingPrincipalCommand({ thingName: 't-3', principal: certArn }));
    await t.iot.send(new DeleteThingCommand({ thingName: 't-3' }));
    const after = await t.iot.send(new ListPrincipalThingsCommand({ principal: certArn }));
    expect(after.things).toEqual(['t-0', 't-1', 't-2', 't-4']);
  });

  it('can emulate DetachThingPrincipal being seen only after a delay', async () => {
    // Prepare
    const slow = await startCore({ detachThingPrincipalDelayMs: 5000 });
    try {
      const cert = await slow.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
      const principal = cert.certificateArn ?? '';
      await slow.iot.send(new CreateThingCommand({ thingName: 'lagging' }));
      await slow.iot.send(new AttachThingPrincipalCommand({ thingName: 'lagging', principal }));

      // Act
      await slow.iot.send(new DetachThingPrincipalCommand({ thingName: 'lagging', principal }));
      const soon = await slow.iot.send(new ListPrincipalThingsCommand({ principal }));
      const early = slow.iot.send(new DeleteCertificateCommand({ certificateId: cert.certificateId }));
      await expect(early).rejects.toBeInstanceOf(DeleteConflictException);
      await slow.clock.advance(5000);
      const later = await slow.iot.send(new ListPrincipalThingsCommand({ principal }));
      await slow.iot.send(new DeleteCertificateCommand({ certificateId: cert.certificateId }));

      // Assess
      expect(soon.things).toEqual(['lagging']);
      expect(later.things).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it('pages policies in both orders and describes the endpoints', async () => {
    // Prepare
    for (const name of ['c', 'a', 'b'])
      await t.iot.send(new CreatePolicyCommand({ policyName: name, policyDocument: DOC }));

    // Act
    const ascending: string[] = [];
    for await (const page of paginateListPolicies({ client: t.iot, pageSize: 2 }, { ascendingOrder: true })) {
      ascending.push(...(page.policies ?? []).map((p) => p.policyName ?? ''));
    }
    const endpoint = await t.iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));

    // Assess
    expect(ascending).toEqual(['a', 'b', 'c']);
    expect(endpoint.endpointAddress).toBe(`127.0.0.1:${t.core.endpoints.mqttPort}`);
  });
});

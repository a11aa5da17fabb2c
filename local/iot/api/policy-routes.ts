/** Policies and their attachments over restJson1. */
import { z } from 'zod';
import { type RestRoute, route } from '../interfaces.ts';
import type { IotRegistry } from '../registry/iot-registry.ts';
import { epochSeconds, label, ok, pageOf, queryBoolean } from './request.ts';

const createPolicyBody = z.object({
  policyDocument: z.string().min(1),
  tags: z.array(z.object({ Key: z.string(), Value: z.string().optional() })).optional(),
});
const targetBody = z.object({ target: z.string().min(1) });

const nameAndArn = (p: { policyName: string; policyArn: string }) => ({
  policyName: p.policyName,
  policyArn: p.policyArn,
});

export function policyRoutes(registry: IotRegistry): RestRoute[] {
  const policies = registry.policies;
  return [
    route('CreatePolicy', 'POST', '/policies/{policyName}', (request) => {
      const body = createPolicyBody.parse(request.body);
      const policy = policies.create(label(request, 'policyName'), body.policyDocument);
      return ok({
        policyName: policy.policyName,
        policyArn: policy.policyArn,
        policyDocument: policy.policyDocument,
        policyVersionId: policy.defaultVersionId,
      });
    }),
    route('GetPolicy', 'GET', '/policies/{policyName}', (request) => {
      const policy = policies.get(label(request, 'policyName'));
      return ok({
        policyName: policy.policyName,
        policyArn: policy.policyArn,
        policyDocument: policy.policyDocument,
        defaultVersionId: policy.defaultVersionId,
        creationDate: epochSeconds(policy.creationDate),
        lastModifiedDate: epochSeconds(policy.lastModifiedDate),
        generationId: policy.generationId,
      });
    }),
    route('ListPolicies', 'GET', '/policies', (request) => {
      const page = policies.list(...pageOf(request), queryBoolean(request, 'isAscendingOrder') ?? false);
      return ok({ policies: page.items.map(nameAndArn), nextMarker: page.next });
    }),
    route('DeletePolicy', 'DELETE', '/policies/{policyName}', (request) => {
      policies.delete(label(request, 'policyName'));
      return ok();
    }),
    route('AttachPolicy', 'PUT', '/target-policies/{policyName}', (request) => {
      policies.attach(label(request, 'policyName'), targetBody.parse(request.body).target);
      return ok();
    }),
    route('DetachPolicy', 'POST', '/target-policies/{policyName}', (request) => {
      policies.detach(label(request, 'policyName'), targetBody.parse(request.body).target);
      return ok();
    }),
    route('ListAttachedPolicies', 'POST', '/attached-policies/{target}', (request) => {
      const page = policies.attachedTo(label(request, 'target'), ...pageOf(request));
      return ok({ policies: page.items.map(nameAndArn), nextMarker: page.next });
    }),
    route('ListTargetsForPolicy', 'POST', '/policy-targets/{policyName}', (request) => {
      const page = policies.targets(label(request, 'policyName'), ...pageOf(request));
      return ok({ targets: page.items, nextMarker: page.next });
    }),
  ];
}

import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEPLOYED_FUNCTION_IDS,
  functionSpec,
  LAMBDA_RESERVED_ENV,
} from '../../infra/constructs/workflow-functions.ts';
import { DEPLOYED_RUNTIME_ENV } from '../../workflows/rotate-device/contract.ts';
import { functionLogicalIds, useSynthesis } from './helpers/synth.ts';

/** A deployment that sets every setting a function may be given: the private CA and all the pacing. */
const EVERYTHING_SET = {
  'recert:issuer': 'acm-pca',
  'recert:privateCaArn':
    'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555',
  'recert:certificateValidityDays': '90',
  'recert:iotDataEndpoint': 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
  'recert:pacingStartsPerSecond': '4',
  'recert:pacingMaxInFlight': '100',
  'recert:pacingFailureRateThreshold': '0.2',
  'recert:pacingMinFinished': '10',
  'recert:pacingQuotas': '{"iot:CreateCertificateFromCsr":50}',
  'recert:pacingHeadroom': '0.8',
};

const s = useSynthesis(EVERYTHING_SET, { validate: false });
let functionIds: Record<string, string>;

beforeAll(() => {
  functionIds = functionLogicalIds(s, DEPLOYED_FUNCTION_IDS).functions;
}, 180_000);

describe("the functions' deployed environment", () => {
  it.each(DEPLOYED_FUNCTION_IDS)('%s: exactly the variables its contract entry declares', (fid) => {
    // Prepare: what the function's code reads (less what Lambda sets itself), and what Powertools
    // and Node.js read on every function.
    const declared = functionSpec(fid)
      .environment.filter((v) => v.source !== 'lambdaRuntime' && !LAMBDA_RESERVED_ENV.has(v.name))
      .map((v) => v.name);
    const expected = [...declared, ...Object.values(DEPLOYED_RUNTIME_ENV)].sort();

    // Act
    const fn = s.template.findResources('AWS::Lambda::Function')[functionIds[fid] ?? ''];
    const variables = Object.keys(fn?.Properties.Environment.Variables ?? {}).sort();

    // Assess
    expect(variables).toEqual(expected);
  });
});

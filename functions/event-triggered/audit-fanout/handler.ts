import { derivePacing, type PacingSettings } from '../../../workflows/campaign/pacing.ts';
import { defineFunction } from '../../shared/define-function.ts';
import { sfnClient } from '../../shared/lambda-clients.ts';
import { fanOut } from './audit-fanout.ts';
import { pacingFromEnv } from './pacing-env.ts';

export const { handler, createHandler } = defineFunction('audit-fanout', {
  clients: { sfn: sfnClient },
  // The campaigns' pacing: the contract's pacing variables, derived from AWS's quotas where unset.
  fromEnvironment: (_deps, env): { pacing: PacingSettings } => ({ pacing: pacingFromEnv(env) }),
  build: ({ sfn, campaignStateMachineArn, checkNames, issuerKind }, { log, counter }, options) => {
    const pacing = options.pacing ?? derivePacing({ issuer: issuerKind });
    return (event) => fanOut(event, { sfn, log, counter, campaignStateMachineArn, checkNames, pacing });
  },
});

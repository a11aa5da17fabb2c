import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFromContext } from './settings.ts';
import { RecertStack } from './stack.ts';

/**
 * The recert CDK app (infra/README.md). Environment-agnostic unless CDK_DEFAULT_ACCOUNT / _REGION are set
 * (cdk deploy sets them), so `npm run synth` works offline without credentials.
 */
const app = new App();
const settings = settingsFromContext((key) => app.node.tryGetContext(key));
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const stackName = app.node.tryGetContext('recert:stackName') ?? 'Recert';
new RecertStack(app, typeof stackName === 'string' ? stackName : 'Recert', {
  settings,
  description: 'recert: safe, automatic X.509 certificate rotation for AWS IoT Core fleets',
  ...(account && region ? { env: { account, region } } : {}),
});
// Synthesis stops on any unacknowledged AwsSolutions finding.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();

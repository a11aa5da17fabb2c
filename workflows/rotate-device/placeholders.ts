import type { FunctionId } from './functions.ts';
import type { RECORD_WRITES } from './record-transitions.ts';
import { SETTINGS, type SettingName } from './settings.ts';

/** What binds a `${Placeholder}` of the definition. */
export type PlaceholderBinding =
  | { readonly kind: 'function'; readonly functionId: FunctionId; readonly description: string }
  | { readonly kind: 'table'; readonly description: string }
  /** A DynamoDB task's ConditionExpression: the requirements of a write of the record-transitions table. */
  | {
      readonly kind: 'condition';
      readonly state: string;
      readonly write: keyof typeof RECORD_WRITES;
      readonly description: string;
    }
  | {
      readonly kind: 'setting';
      readonly setting: SettingName;
      readonly default: number;
      readonly description: string;
    };

const fn = (functionId: FunctionId, description: string): PlaceholderBinding => ({
  kind: 'function',
  functionId,
  description,
});

const settingBindings = Object.fromEntries(
  (Object.keys(SETTINGS) as SettingName[]).map((setting) => [
    setting,
    {
      kind: 'setting',
      setting,
      default: SETTINGS[setting].default,
      description: SETTINGS[setting].description,
    },
  ]),
) as Record<SettingName, PlaceholderBinding>;

/** Every placeholder of `asl/rotate-device.asl.json` and what binds it. */
export const PLACEHOLDERS: Readonly<Record<string, PlaceholderBinding>> = {
  RequestCsrFunctionArn: fn('request-csr', 'ARN of the function that stores the token and sends csr_req.'),
  IssueCertificateFunctionArn: fn(
    'issue-certificate',
    'ARN of the function that validates, issues, stores the token and sends crt_res.',
  ),
  RevokeCertificateFunctionArn: fn(
    'revoke-certificate',
    'ARN of the function that revokes a new certificate.',
  ),
  RetireCertificateFunctionArn: fn(
    'retire-certificate',
    'ARN of the function that retires the old certificate.',
  ),
  RotationTableName: { kind: 'table', description: 'Name of the rotation table (claim and completion).' },
  ClaimThingCondition: {
    kind: 'condition',
    state: 'ClaimThing',
    write: 'claim',
    description: "The claim's condition: no other execution's rotation of the thing in flight.",
  },
  ...settingBindings,
};

export type PlaceholderName = keyof typeof PLACEHOLDERS;

import {
  type AuditCheckConfiguration,
  type AuditNotificationTarget,
  DeleteAccountAuditConfigurationCommand,
  DescribeAccountAuditConfigurationCommand,
  type DescribeAccountAuditConfigurationCommandOutput,
  DescribeScheduledAuditCommand,
  type IoTClient,
  ListScheduledAuditsCommand,
  UpdateAccountAuditConfigurationCommand,
  type UpdateAccountAuditConfigurationCommandInput,
} from '@aws-sdk/client-iot';
import { z } from 'zod';

/**
 * recert's share of the account's one Device Defender audit configuration: it turns on only what it needs
 * and turns off only what it turned on (workflows/device-defender/README.md).
 */

/** The custom resource's properties (CloudFormation passes every scalar as a string). */
export const AuditConfigurationProperties = z.object({
  /** Check name -> its configuration (`CERT_EXPIRATION_THRESHOLD_IN_DAYS` ...), as the API takes it. */
  Checks: z.record(z.string().regex(/^[A-Z_]+$/), z.record(z.string(), z.string())),
  AuditRoleArn: z.string().min(20),
  /** recert's own audit topic. */
  TopicArn: z.string().min(1),
  /** The role Device Defender publishes to recert's topic with. */
  NotificationRoleArn: z.string().min(20),
});
export type AuditConfigurationProperties = z.infer<typeof AuditConfigurationProperties>;

/** What recert changed in the account; kept in the physical id, the one thing a Delete is given back. */
export interface Ownership {
  /** Checks recert turned on (they were off before). */
  readonly enabled: readonly string[];
  /** recert set the SNS target to its own topic. */
  readonly target: boolean;
  /** recert set the audit role (the account had no audit configuration before). */
  readonly role: boolean;
}

const ID_PREFIX = 'recert-audit-configuration';
const ID_PATTERN = new RegExp(
  `^${ID_PREFIX}:checks=([A-Z_+]*|-):target=(recert|existing):role=(recert|existing)$`,
);

export function ownershipId(ownership: Ownership): string {
  const checks = [...ownership.enabled].sort().join('+') || '-';
  const who = (mine: boolean) => (mine ? 'recert' : 'existing');
  return `${ID_PREFIX}:checks=${checks}:target=${who(ownership.target)}:role=${who(ownership.role)}`;
}

/** The ownership a physical id records; undefined for an id this module did not write. */
export function ownershipOf(physicalId: string | undefined): Ownership | undefined {
  const match = ID_PATTERN.exec(physicalId ?? '');
  if (!match) return undefined;
  const checks = match[1] ?? '-';
  return {
    enabled: checks === '-' ? [] : checks.split('+'),
    target: match[2] === 'recert',
    role: match[3] === 'recert',
  };
}

export interface Applied {
  readonly ownership: Ownership;
  /** The topic audit notifications go to: recert's, or the account's existing target. */
  readonly topicArn: string;
  /** recert's checks that were already on; their configuration (threshold) was left as it was. */
  readonly alreadyEnabled: readonly string[];
  /** The update sent, if anything had to change. */
  readonly update?: UpdateAccountAuditConfigurationCommandInput;
}

/**
 * Create and Update: turns on recert's checks that are off and sets the role and SNS target only where
 * none is; a check no longer needed is turned off by CloudFormation's cleanup Delete (README.md).
 */
export async function applyConfiguration(
  iot: IoTClient,
  desired: AuditConfigurationProperties,
  previous?: { readonly ownership?: Ownership; readonly properties?: AuditConfigurationProperties },
): Promise<Applied> {
  const current = await describe(iot);
  const live = current.auditCheckConfigurations ?? {};
  const owned = new Set(previous?.ownership?.enabled ?? []);
  const checks: Record<string, AuditCheckConfiguration> = {};
  const enabled: string[] = [];
  const alreadyEnabled: string[] = [];
  for (const [name, configuration] of Object.entries(desired.Checks)) {
    const now = live[name];
    if (now?.enabled !== true) {
      checks[name] = { enabled: true, configuration };
      enabled.push(name);
    } else if (owned.has(name)) {
      // recert's own check: its thresholds follow the settings.
      if (!hasConfiguration(now, configuration)) checks[name] = { enabled: true, configuration };
      enabled.push(name);
    } else {
      alreadyEnabled.push(name);
    }
  }

  const update: UpdateAccountAuditConfigurationCommandInput = {};
  if (Object.keys(checks).length > 0) update.auditCheckConfigurations = checks;

  // The role: set only where the account has none; follow recert's role if it is the one in use.
  let role = false;
  if (!current.roleArn) {
    update.roleArn = desired.AuditRoleArn;
    role = true;
  } else if (current.roleArn === desired.AuditRoleArn) {
    role = true;
  } else if (current.roleArn === previous?.properties?.AuditRoleArn) {
    update.roleArn = desired.AuditRoleArn;
    role = true;
  }

  // The target: an enabled target on another topic is someone else's and is used as it is.
  const sns = current.auditNotificationTargetConfigurations?.SNS;
  const recertTopics = [desired.TopicArn, previous?.properties?.TopicArn];
  let topicArn = desired.TopicArn;
  let target = true;
  if (sns?.enabled === true && sns.targetArn && !recertTopics.includes(sns.targetArn)) {
    topicArn = sns.targetArn;
    target = false;
  } else {
    const wanted: AuditNotificationTarget = {
      targetArn: desired.TopicArn,
      roleArn: desired.NotificationRoleArn,
      enabled: true,
    };
    if (!sameTarget(sns, wanted)) update.auditNotificationTargetConfigurations = { SNS: wanted };
  }

  const changed = Object.keys(update).length > 0;
  if (changed) await iot.send(new UpdateAccountAuditConfigurationCommand(update));
  return {
    ownership: { enabled: enabled.sort(), target, role },
    topicArn,
    alreadyEnabled: alreadyEnabled.sort(),
    ...(changed ? { update } : {}),
  };
}

/**
 * `teardown`: the stack (or a failed creation) is being deleted. `cleanup`: the stack lives on and
 * CloudFormation deletes a previous physical id after an update replaced it.
 */
export type RemovalMode = 'teardown' | 'cleanup';

export interface Removed {
  /** Checks turned off. */
  readonly disabled: readonly string[];
  /** recert's checks left on because a scheduled audit (someone else's) uses them. */
  readonly keptForScheduledAudits: readonly string[];
  readonly targetDisabled: boolean;
  /** The whole configuration was deleted: recert had created it and nothing else uses it. */
  readonly reset: boolean;
}

/**
 * Delete: turns off the checks recert turned on, except those a scheduled audit still uses, and on
 * teardown disables or deletes what recert set up (workflows/device-defender/README.md).
 */
export async function removeConfiguration(
  iot: IoTClient,
  properties: AuditConfigurationProperties,
  ownership: Ownership,
  mode: RemovalMode,
): Promise<Removed> {
  const current = await describe(iot);
  const live = current.auditCheckConfigurations ?? {};
  const scheduled = await scheduledAudits(iot);
  const mine = ownership.enabled.filter((name) => live[name]?.enabled === true);
  const disabled = mine.filter((name) => !scheduled.checks.has(name));
  const keptForScheduledAudits = mine.filter((name) => scheduled.checks.has(name));
  const result = { disabled, keptForScheduledAudits, targetDisabled: false, reset: false };

  const update: UpdateAccountAuditConfigurationCommandInput = {};
  if (disabled.length > 0) {
    update.auditCheckConfigurations = Object.fromEntries(disabled.map((name) => [name, { enabled: false }]));
  }
  if (mode === 'teardown') {
    const sns = current.auditNotificationTargetConfigurations?.SNS;
    const ours = sns !== undefined && sns.targetArn === properties.TopicArn;
    const othersEnabled = Object.entries(live).some(
      ([name, c]) => c.enabled === true && !disabled.includes(name),
    );
    if (
      ownership.role &&
      current.roleArn === properties.AuditRoleArn &&
      !othersEnabled &&
      (sns === undefined || ours) &&
      scheduled.names.length === 0
    ) {
      await iot.send(new DeleteAccountAuditConfigurationCommand({ deleteScheduledAudits: false }));
      return { ...result, targetDisabled: ours, reset: true };
    }
    if (ours && sns.enabled === true) {
      update.auditNotificationTargetConfigurations = {
        SNS: { targetArn: sns.targetArn, ...(sns.roleArn ? { roleArn: sns.roleArn } : {}), enabled: false },
      };
      result.targetDisabled = true;
    }
  }
  if (Object.keys(update).length > 0) await iot.send(new UpdateAccountAuditConfigurationCommand(update));
  return result;
}

async function describe(iot: IoTClient): Promise<DescribeAccountAuditConfigurationCommandOutput> {
  return iot.send(new DescribeAccountAuditConfigurationCommand({}));
}

/** Every scheduled audit's name and the checks they run (ListScheduledAudits does not list checks). */
async function scheduledAudits(iot: IoTClient): Promise<{ names: string[]; checks: Set<string> }> {
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await iot.send(new ListScheduledAuditsCommand({ maxResults: 250, nextToken }));
    for (const audit of page.scheduledAudits ?? []) {
      if (audit.scheduledAuditName) names.push(audit.scheduledAuditName);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  const checks = new Set<string>();
  for (const scheduledAuditName of names) {
    const audit = await iot.send(new DescribeScheduledAuditCommand({ scheduledAuditName }));
    for (const name of audit.targetCheckNames ?? []) checks.add(name);
  }
  return { names, checks };
}

function hasConfiguration(check: AuditCheckConfiguration, wanted: Readonly<Record<string, string>>): boolean {
  const now: Readonly<Record<string, string>> = check.configuration ?? {};
  return Object.entries(wanted).every(([key, value]) => now[key] === value);
}

function sameTarget(a: AuditNotificationTarget | undefined, b: AuditNotificationTarget): boolean {
  return a?.targetArn === b.targetArn && a?.roleArn === b.roleArn && a?.enabled === b.enabled;
}

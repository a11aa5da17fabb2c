/**
 * AWS list prices (us-east-1, on-demand, first tier, no free tier) of what one rotation consumes, as
 * read on `PRICES_READ_ON` from the pages cited.
 */

export const PRICES_REGION = 'us-east-1';
export const PRICES_READ_ON = '2026-11-23';

export interface PriceEntry {
  readonly usd: number;
  /** What one `usd` buys, e.g. "state transition". */
  readonly per: string;
  readonly source: string;
}

export const PRICES = {
  /** $0.025 per 1,000 state transitions, retries included. */
  stepFunctionsTransition: {
    usd: 0.025 / 1000,
    per: 'Standard workflow state transition',
    source: 'https://aws.amazon.com/step-functions/pricing/',
  },
  /** $0.20 per 1M requests (same for x86 and Arm). */
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    per: 'Lambda request',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  /** Arm, first 7.5 billion GB-s per month. */
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'Lambda GB-second (arm64)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  /** On-demand, after the November 2024 price reduction: $0.625 per million write request units. */
  dynamodbWriteRequestUnit: {
    usd: 0.625 / 1_000_000,
    per: 'DynamoDB on-demand write request unit (item up to 1 KB)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  /** $0.125 per million read request units (strongly consistent read up to 4 KB). */
  dynamodbReadRequestUnit: {
    usd: 0.125 / 1_000_000,
    per: 'DynamoDB on-demand read request unit (item up to 4 KB)',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  },
  /** $1.00 per million messages (first billion), metered in 5 KB increments. */
  iotMessage: {
    usd: 1 / 1_000_000,
    per: 'IoT Core message (5 KB increment)',
    source: 'https://aws.amazon.com/iot-core/pricing/ (metering: /iot-core/pricing/additional-details/)',
  },
  /** $0.08 per million connection-minutes. */
  iotConnectionMinute: {
    usd: 0.08 / 1_000_000,
    per: 'IoT Core connection-minute',
    source: 'https://aws.amazon.com/iot-core/pricing/',
  },
  /** $0.15 per million rules triggered, and the same per million actions applied. */
  iotRuleTriggered: {
    usd: 0.15 / 1_000_000,
    per: 'IoT rule triggered',
    source: 'https://aws.amazon.com/iot-core/pricing/',
  },
  iotRuleAction: {
    usd: 0.15 / 1_000_000,
    per: 'IoT rule action applied',
    source: 'https://aws.amazon.com/iot-core/pricing/',
  },
  /** $1.25 per million registry operations (AttachThingPrincipal, ListPrincipalThings...). */
  iotRegistryOperation: {
    usd: 1.25 / 1_000_000,
    per: 'IoT Core registry operation',
    source: 'https://aws.amazon.com/iot-core/pricing/',
  },
  /** CloudWatch Logs standard ingestion, $0.50 per GB. */
  cloudWatchLogsIngestedGb: {
    usd: 0.5,
    per: 'GB of CloudWatch Logs ingested',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
  },
} as const satisfies Record<string, PriceEntry>;

/** What one rotation consumes, on average, as billed by each service. */
export interface RotationUsage {
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  /** Billed Lambda duration per rotation in seconds (summed over its invocations). */
  readonly lambdaSeconds: number;
  readonly lambdaMemoryMb: number;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
  readonly iotMessages: number;
  readonly iotConnectionMinutes: number;
  readonly iotRulesTriggered: number;
  readonly iotRuleActions: number;
  readonly iotRegistryOperations: number;
  readonly logBytes: number;
}

/** USD per service line for a number of rotations, and the total. */
export interface CostBreakdown {
  readonly stepFunctions: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly dynamodbWrites: number;
  readonly dynamodbReads: number;
  readonly iotMessaging: number;
  readonly iotConnectivity: number;
  readonly iotRules: number;
  readonly iotRegistry: number;
  readonly cloudWatchLogs: number;
  readonly total: number;
}

/** The cost in USD of `rotations` rotations with the given usage each, by service line, to the cent. */
export function costOf(usage: RotationUsage, rotations = 1_000_000): CostBreakdown {
  for (const [key, value] of Object.entries(usage)) {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`usage ${key} must be a finite number >= 0`);
  }
  if (!Number.isInteger(rotations) || rotations < 0)
    throw new RangeError('rotations must be an integer >= 0');
  const gbSeconds = usage.lambdaSeconds * (usage.lambdaMemoryMb / 1024);
  const each = {
    stepFunctions: usage.stateTransitions * PRICES.stepFunctionsTransition.usd,
    lambdaRequests: usage.lambdaInvocations * PRICES.lambdaRequest.usd,
    lambdaDuration: gbSeconds * PRICES.lambdaArmGbSecond.usd,
    dynamodbWrites: usage.dynamodbWriteUnits * PRICES.dynamodbWriteRequestUnit.usd,
    dynamodbReads: usage.dynamodbReadUnits * PRICES.dynamodbReadRequestUnit.usd,
    iotMessaging: usage.iotMessages * PRICES.iotMessage.usd,
    iotConnectivity: usage.iotConnectionMinutes * PRICES.iotConnectionMinute.usd,
    iotRules:
      usage.iotRulesTriggered * PRICES.iotRuleTriggered.usd + usage.iotRuleActions * PRICES.iotRuleAction.usd,
    iotRegistry: usage.iotRegistryOperations * PRICES.iotRegistryOperation.usd,
    cloudWatchLogs: (usage.logBytes / 1024 ** 3) * PRICES.cloudWatchLogsIngestedGb.usd,
  };
  const total = Object.values(each).reduce((sum, usd) => sum + usd, 0);
  return {
    stepFunctions: cents(each.stepFunctions * rotations),
    lambdaRequests: cents(each.lambdaRequests * rotations),
    lambdaDuration: cents(each.lambdaDuration * rotations),
    dynamodbWrites: cents(each.dynamodbWrites * rotations),
    dynamodbReads: cents(each.dynamodbReads * rotations),
    iotMessaging: cents(each.iotMessaging * rotations),
    iotConnectivity: cents(each.iotConnectivity * rotations),
    iotRules: cents(each.iotRules * rotations),
    iotRegistry: cents(each.iotRegistry * rotations),
    cloudWatchLogs: cents(each.cloudWatchLogs * rotations),
    total: cents(total * rotations),
  };
}

const cents = (usd: number): number => Math.round(usd * 100) / 100;

/** What the fleet benchmark measures for one fleet size (see `fleet.ts` for the definitions). */
export interface FleetSizeResult {
  readonly size: number;
  readonly provisionMs: number;
  /** Time for the fleet process to connect every device over mutual TLS. */
  readonly connectMs: number;
  /** From the audit's start to the last rotation's SUCCEEDED. */
  readonly wallMs: number;
  readonly rotationsPerSecond: number;
  readonly rotationMs: {
    /** Time of one rotation without the device's own waiting (see `ROTATION_TIME_DEFINITION`). */
    readonly p50: number;
    readonly p95: number;
    /** Execution start to SUCCEEDED, device's waiting included. */
    readonly executionP50: number;
    readonly deviceWaitP50: number;
  };
  /** Process CPU time (user + system) per rotation, from the audit to the last outcome recorded. */
  readonly cpuMsPerRotation: {
    readonly stack: number;
    /** The stack process's main thread alone (the services), where /proc tells it. */
    readonly stackMainThread?: number;
    readonly fleet: number;
  };
  readonly memory: { readonly stackPeakRssBytes: number; readonly fleetPeakRssBytes: number };
  readonly perRotation: {
    readonly billedStateTransitions: number;
    readonly billedStateTransitionsMax: number;
    readonly lambdaInvocations: number;
    readonly lambdaMs: number;
    readonly dynamodbWrites: number;
    readonly dynamodbReads: number;
    readonly dynamodbMeanItemBytes: number;
    readonly iotMessages: number;
    readonly iotPresenceConnects: number;
    readonly iotDeviceReplies: number;
    readonly iotApiCalls: Readonly<Record<string, number>>;
    readonly logBytes: number;
  };
  readonly lambdaInvocationsByFunction: Readonly<Record<string, number>>;
  /** In-process handler milliseconds by function, summed over the run. */
  readonly lambdaMsByFunction: Readonly<Record<string, number>>;
  readonly dynamodbRequests: Readonly<Record<string, number>>;
  readonly fleet: { readonly rotated: number; readonly withoutWorkingCredentials: number };
}

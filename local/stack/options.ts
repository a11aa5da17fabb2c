/** What `LocalAws.start` takes. */
import type { RotationFunctionsDeps } from '../../functions/index.ts';
import type { Clock } from '../../lib/clock.ts';
import type { CampaignSettings } from '../../workflows/campaign/settings.ts';
import type { Settings } from '../../workflows/rotate-device/contract.ts';
import type { DEFAULT_PORTS } from '../config.ts';
import type { QuotaSetting } from '../iot/quotas/api-quotas.ts';
import type { IssuedValidity } from '../iot/registry/certificates.ts';
import type { FunctionLogFileOptions } from '../lambda/function-log-file.ts';
import type { AuditSettings } from './resources.ts';

export type LocalPorts = Record<keyof typeof DEFAULT_PORTS, number>;

export interface LocalAwsOptions {
  /** Everything persists here (default `.recert`), so a restart picks up where it was. */
  readonly stateDir: string;
  /** A clock of the caller's (tests); otherwise a scaled wall clock at `clockSpeed`. */
  readonly clock?: Clock;
  /** 1 is real time; 3600 makes an hour pass in a second. */
  readonly clockSpeed?: number;
  /** Fixed ports; 0 picks a free one. The defaults of `local/config.ts` otherwise. */
  readonly ports?: Partial<LocalPorts>;
  /** AWS IoT's default API quotas (ThrottlingException), off by default. */
  readonly quotas?: QuotaSetting;
  /** Workflow settings (timeouts, attempt limits, backoff) over the contract's defaults. */
  readonly settings?: Partial<Settings>;
  /** Campaign state machine settings (turns per execution) over the contract's defaults. */
  readonly campaignSettings?: Partial<CampaignSettings>;
  /** How long one campaign pacer turn lasts, in seconds of the local clock (60 as on AWS by default). */
  readonly pacerTickSeconds?: number;
  readonly audit?: Partial<AuditSettings>;
  /**
   * Run a local ACM Private CA and issue every certificate with it, as `recert:issuer=acm-pca` does
   * (local/acmpca/README.md); off by default: AWS IoT's CA issues.
   */
  readonly privateCa?: { readonly validityDays: number; readonly pollsBeforeReady?: number };
  /** Validity of certificates that IoT Core issues (AWS's: until 2049). */
  readonly issuedCertificateValidity?: IssuedValidity;
  /** The functions' settings, as their environment variables give them on AWS. */
  readonly functionSettings?: Pick<
    RotationFunctionsDeps,
    | 'requireCnMatch'
    | 'acceptMissingRotationId'
    | 'graceDays'
    | 'retentionSeconds'
    | 'checkNames'
    | 'pacing'
    | 'sweepDeletesPerSecond'
    | 'sweepBudgetSeconds'
  >;
  /** Real time between two runs of a scheduled function, at least (1 s by default; tests shorten it). */
  readonly scheduleWallGapMs?: number;
  /** The functions' log level (their structured logs go to stdout as on Lambda); SILENT by default. */
  readonly functionLogLevel?: RotationFunctionsDeps['logLevel'];
  /**
   * With it, what the functions write goes to `<stateDir>/logs/functions.jsonl` (redacted, rotated past
   * `maxBytes`), as Lambda sends it to CloudWatch Logs, instead of this process's output.
   */
  readonly functionLogFile?: FunctionLogFileOptions;
  /** Delays of Lambda's asynchronous retries (IoT rules, SNS, EventBridge); one and two minutes by default. */
  readonly asyncRetryDelaysMs?: readonly number[];
  /**
   * Worker threads that run the functions (0, the default: this thread); one is worth it with a core to
   * spare. Needs the scaled clock: a caller's clock cannot be shared with another thread.
   */
  readonly functionWorkers?: number;
  /** With function workers: each writes a CPU profile of its thread here when the stack closes. */
  readonly functionWorkersCpuProfileDir?: string;
  /** Diagnostics of the local services (denied connections, failed rule actions...). */
  readonly log?: (line: string) => void;
}

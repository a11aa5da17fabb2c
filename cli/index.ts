/**
 * The operator's side of the CLI as other folders use it (the web console, the device conformance kit):
 * the command framework `recert console` plugs into, the targets, and the reads and actions behind the
 * commands.
 */
export { GLOBAL_OPTIONS_HELP, intFlag, parseCommandLine } from './args.ts';
export { AUDIT_CHECKS, type AuditCheck } from './audit/run-audit.ts';
export { campaignOfAudit } from './campaigns/campaign-id.ts';
export { campaignsByExecution } from './campaigns/executions.ts';
export { type CampaignMeta, campaignIdArg, campaignResources, readMeta } from './campaigns/meta.ts';
export { type CampaignProgress, campaignProgress, percent, rate } from './campaigns/progress.ts';
export { resumeCampaign } from './campaigns/resume.ts';
export { stopCampaign } from './campaigns/stop.ts';
export type { Command } from './command.ts';
export {
  CliError,
  errorMessage,
  errorName,
  isNamed,
  RefusedError,
  systemCode,
  TargetUnavailableError,
  UsageError,
} from './errors.ts';
export { EXIT } from './exit-codes.ts';
export type { CliIo } from './io.ts';
export { certificateFindings, latestAuditTask } from './iot/audit.ts';
export { certificateState } from './iot/certificate-state.ts';
export { pause } from './logs/tail.ts';
export { abandonRotation } from './rotations/abandon.ts';
export { batchGetRecords } from './rotations/batch-get.ts';
export { readableError } from './rotations/error-text.ts';
export { thingNameArg } from './rotations/identifiers.ts';
export { nextStep } from './rotations/next-step.ts';
export { age, oneLine, type PublicRecord, publicRecord, short } from './rotations/present.ts';
export { collect, countByStatus, getRecord, queryByStatus } from './rotations/records.ts';
export { type Redriven, redriveExecution } from './rotations/redrive.ts';
export { currentCertificate, startRotation } from './rotations/start.ts';
export { requireRecord } from './rotations/things.ts';
export { buildTimeline, readExecutionHistory, type TimelineStep } from './rotations/timeline.ts';
export { localTarget } from './target/local-target.ts';
export { readLiveManifest } from './target/manifest.ts';
export type { Target } from './target/target.ts';

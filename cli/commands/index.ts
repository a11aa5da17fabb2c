import type { CommandEntry } from '../command.ts';
import type { LocalAwsControl } from '../local-aws-control.ts';

/** Every `recert` command, loaded only when it runs. */
export function commandEntries(loadLocalAws?: () => Promise<LocalAwsControl>): CommandEntry[] {
  return [
    {
      path: ['status'],
      summary: 'the fleet by rotation status, the oldest rotations in flight, the recent failures',
      load: async () => (await import('./status.ts')).statusCommand,
    },
    {
      path: ['rotations', 'list'],
      summary: 'list rotations by status, age and campaign',
      load: async () => (await import('./rotations-list.ts')).rotationsListCommand,
    },
    {
      path: ['rotations', 'show'],
      summary: "a thing's rotation record and its execution timeline",
      load: async () => (await import('./rotations-show.ts')).rotationsShowCommand,
    },
    {
      path: ['rotate'],
      summary: 'start rotations by hand, or for every certificate the latest audit found',
      load: async () => (await import('./rotate.ts')).rotateCommand,
    },
    {
      path: ['redrive'],
      summary: 'resume failed rotations at the step that failed',
      load: async () => (await import('./redrive.ts')).redriveCommand,
    },
    {
      path: ['abandon'],
      summary: 'stop a rotation and revoke the certificate it issued; the old one stays',
      load: async () => (await import('./abandon.ts')).abandonCommand,
    },
    {
      path: ['escalations'],
      summary: 'the rotations escalated on the SNS topic (local: listed; AWS: names the topic)',
      load: async () => (await import('./escalations.ts')).escalationsCommand,
    },
    {
      path: ['report'],
      summary: 'the compliance report of a campaign: found, rotated, pending, failed, still expiring',
      load: async () => (await import('./report.ts')).reportCommand,
    },
    {
      path: ['campaigns'],
      summary: 'list campaigns: started, succeeded, failed, in flight, parked, start rate, limit',
      load: async () => (await import('./campaigns.ts')).campaignsCommand,
    },
    {
      path: ['campaigns', 'show'],
      summary: "a campaign's counters, pacing, measured start rate, ETA and stop reason",
      load: async () => (await import('./campaigns-show.ts')).campaignsShowCommand,
    },
    {
      path: ['campaigns', 'stop'],
      summary: 'stop a campaign from starting more rotations, with a reason',
      load: async () => (await import('./campaigns-stop.ts')).campaignsStopCommand,
    },
    {
      path: ['campaigns', 'resume'],
      summary: 'resume a stopped campaign where it stopped',
      load: async () => (await import('./campaigns-resume.ts')).campaignsResumeCommand,
    },
    {
      path: ['audit', 'run'],
      summary: 'run a Device Defender audit of device certificates now, and follow it to its campaign',
      load: async () => (await import('./audit-run.ts')).auditRunCommand,
    },
    {
      path: ['logs'],
      summary: "the functions' logs the local AWS keeps (local up --log-level), by thing, rotation, level",
      load: async () => (await import('./logs.ts')).logsCommand,
    },
    {
      path: ['pacing'],
      summary: 'the start rate AWS quotas allow, what limits it, and fleet-scale projections',
      load: async () => (await import('./pacing.ts')).pacingCommand,
    },
    {
      path: ['console'],
      summary: 'serve the fleet console in a browser',
      load: async () => (await import('../../console/index.ts')).consoleCommand,
    },
    {
      path: ['completion'],
      summary: 'print a bash or zsh completion script ("source <(recert completion bash)")',
      load: async () => (await import('./completion.ts')).completionCommand,
    },
    {
      path: ['local'],
      summary: 'run, stop or check the embedded local AWS',
      load: async () => {
        const { localCommand } = await import('./local.ts');
        return loadLocalAws ? localCommand(loadLocalAws) : localCommand();
      },
    },
  ];
}

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
      path: ['report'],
      summary: 'the compliance report of a campaign: found, rotated, pending, failed, still expiring',
      load: async () => (await import('./report.ts')).reportCommand,
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

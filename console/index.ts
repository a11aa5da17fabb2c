/** The console as the CLI uses it: `recert console`, and the console `recert local up` serves beside the local AWS. */
export { consoleCommand } from './command.ts';
export { serveLocalConsole } from './local-up.ts';

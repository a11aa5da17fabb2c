// `npm start`: cli/main-job.ts, built or from source.
import { launch } from './build/launch.mjs';

await launch('cli/main-job');

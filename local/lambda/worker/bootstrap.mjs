// A worker thread starts without the parent's TypeScript loader (and under a test runner there is
// none to inherit): register it, then load the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./function-worker.ts');

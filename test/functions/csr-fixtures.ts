import { readFileSync } from 'node:fs';

/** A file of test/fixtures/csr (a CSR, a certificate, or a key under keys/), as text. */
export const csrFixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/csr/${name}`, import.meta.url), 'utf8');

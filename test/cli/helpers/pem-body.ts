/** The first 40 characters of a PEM's base64 body: what would show if any part of it were printed. */
export const pemBody = (pem: string): string =>
  pem
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('-----'))
    .join('')
    .slice(0, 40);

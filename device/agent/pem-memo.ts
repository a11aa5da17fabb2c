/**
 * Remembers what a pure function computed from a PEM string (a public key's DER, a certificate id):
 * a device checks the same key and certificate several times during one rotation, and each fresh
 * parse is a full decode in OpenSSL. Bounded (oldest entries go first) so a process that simulates a
 * whole fleet keeps a fixed amount; a call that throws is not remembered.
 */
export function memoizeByPem<T>(compute: (pem: string) => T, limit = 16_384): (pem: string) => T {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a whole number >= 1, not ${limit}`);
  const cache = new Map<string, T>();
  return (pem: string): T => {
    if (cache.has(pem)) return cache.get(pem) as T;
    const value = compute(pem);
    if (cache.size >= limit) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(pem, value);
    return value;
  };
}

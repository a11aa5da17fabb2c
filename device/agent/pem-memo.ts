/**
 * Remembers what a pure function computed from a PEM string (a parsed key or certificate, a public
 * key's DER, a certificate id): a device checks the same key and certificate several times during one
 * rotation, and each fresh parse is a full decode in OpenSSL. Bounded (oldest entries go first) so a
 * process that simulates a whole fleet keeps a fixed amount; a call that throws is not remembered.
 */
export interface PemMemo<T> {
  get(pem: string): T;
  /** Records a value known without computing it (a key just generated, say). */
  remember(pem: string, value: T): void;
}

export function memoizeByPem<T>(compute: (pem: string) => T, limit = 16_384): PemMemo<T> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a whole number >= 1, not ${limit}`);
  const cache = new Map<string, T>();
  const remember = (pem: string, value: T): void => {
    if (!cache.has(pem) && cache.size >= limit) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(pem, value);
  };
  return {
    get(pem) {
      if (cache.has(pem)) return cache.get(pem) as T;
      const value = compute(pem);
      remember(pem, value);
      return value;
    },
    remember,
  };
}

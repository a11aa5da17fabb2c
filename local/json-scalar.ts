/** A JSON leaf: what JSON.parse yields besides arrays and objects. */
export type JsonScalar = null | boolean | number | string;

export function isJsonScalar(value: unknown): value is JsonScalar {
  return (
    value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string'
  );
}

import { describe, expect, it } from 'vitest';
import { namedError } from '../../lib/named-error.ts';

class QuotaError extends namedError('QuotaError') {}
class OtherError extends namedError('OtherError') {}

describe('namedError', () => {
  it('makes an Error class whose instances carry its name, message and cause, told apart by instanceof', () => {
    // Act
    const error = new QuotaError('too many calls', { cause: 'burst' });

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(QuotaError);
    expect(error).not.toBeInstanceOf(OtherError);
    expect(error.name).toBe('QuotaError');
    expect(error.message).toBe('too many calls');
    expect(error.cause).toBe('burst');
    expect(String(error)).toBe('QuotaError: too many calls');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicMatches, validateTopicFilter } from '../../../../local/iot/rules/topic-filter.ts';

const level = fc.stringMatching(/^[a-z0-9_-]{1,6}$/);
const topic = fc.array(level, { minLength: 1, maxLength: 6 });

describe('topic filters', () => {
  it.each([
    ['management/topic/+/+', 'management/topic/t1/csr_res', true],
    ['management/topic/+/+', 'management/topic/t1', false],
    ['management/topic/+/+', 'management/topic/t1/a/b', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', '$aws/events/presence/connected/x', false],
    ['$aws/events/presence/connected/+', '$aws/events/presence/connected/x', true],
  ])('%s against %s is %s', (filter, name, expected) => {
    expect(topicMatches(filter, name)).toBe(expected);
  });

  it.each(['a/#/b', 'a/b#', 'a/+b', ''])('refuses %j', (filter) => {
    expect(validateTopicFilter(filter)).toBeTypeOf('string');
  });

  it('a topic matches itself, with any level as +, and any prefix followed by # (property)', () => {
    fc.assert(
      fc.property(topic, fc.nat(), (levels, n) => {
        const name = levels.join('/');
        const i = n % levels.length;
        const plus = levels.map((l, j) => (j === i ? '+' : l)).join('/');
        const hash = [...levels.slice(0, i), '#'].join('/');
        expect(topicMatches(name, name)).toBe(true);
        expect(topicMatches(plus, name)).toBe(true);
        expect(topicMatches(hash, name)).toBe(true);
      }),
    );
  });

  it('a filter differing in one literal level does not match (property)', () => {
    fc.assert(
      fc.property(topic, fc.nat(), (levels, n) => {
        const i = n % levels.length;
        const changed = levels.map((l, j) => (j === i ? `${l}x` : l)).join('/');
        expect(topicMatches(changed, levels.join('/'))).toBe(false);
      }),
    );
  });
});

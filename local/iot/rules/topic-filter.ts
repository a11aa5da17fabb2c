/**
 * MQTT topic filters as the IoT rules engine's FROM clause uses them: `+` matches one level,
 * `#` (last level only) matches that level and everything below it, including nothing.
 */

/** Returns why `filter` is not a valid topic filter, or undefined when it is. */
export function validateTopicFilter(filter: string): string | undefined {
  if (filter.length === 0) return 'the topic filter is empty';
  const levels = filter.split('/');
  for (const [i, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return `'#' must be a whole level and the last one (level ${i + 1}: '${level}')`;
    }
    if (level.includes('+') && level !== '+') {
      return `'+' must be a whole level (level ${i + 1}: '${level}')`;
    }
  }
  return undefined;
}

/** True when `topic` (a concrete topic name) matches `filter`: the broker's and the policies' matcher. */
export { topicMatchesFilter as topicMatches } from '../policy/topic-filter.ts';

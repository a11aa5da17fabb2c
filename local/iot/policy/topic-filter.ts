/**
 * MQTT topic names and filters as AWS IoT reads them: `+` stands for one level, `#` for the rest
 * (including the parent level), and a filter starting with a wildcard never matches a `$` topic.
 */

/** AWS IoT's bound on a topic's UTF-8 size. */
export const MAX_TOPIC_BYTES = 256;

export function isValidTopicName(topic: string): boolean {
  if (topic === '' || Buffer.byteLength(topic) > MAX_TOPIC_BYTES) return false;
  return !topic.includes('+') && !topic.includes('#') && !topic.includes('\u0000');
}

export function isValidTopicFilter(filter: string): boolean {
  if (filter === '' || Buffer.byteLength(filter) > MAX_TOPIC_BYTES || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level.includes('#')) return level === '#' && i === levels.length - 1;
    if (level.includes('+')) return level === '+';
    return true;
  });
}

export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { redactedJson, redactText, redactValue } from '../../lib/redact.ts';
import { type Html, html } from '../html.ts';

/** Fields of an event's details that hold JSON documents: shown folded, redacted and indented. */
const DOCUMENTS = new Set(['input', 'output', 'parameters', 'cause', 'result']);
const MAX_SHOWN = 20_000;

const cut = (text: string): string =>
  text.length > MAX_SHOWN
    ? `${text.slice(0, MAX_SHOWN)}\n… (${text.length - MAX_SHOWN} more characters)`
    : text;

function details(event: HistoryEvent): Html[] {
  const parts: Html[] = [];
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) continue;
    for (const [field, item] of Object.entries(value as Record<string, unknown>)) {
      if (typeof item === 'string' && DOCUMENTS.has(field)) {
        const shown = redactedJson(item) ?? '';
        parts.push(html`<details><summary>${field}</summary><pre>${cut(shown)}</pre></details>`);
      } else if (typeof item === 'object' && item !== null && !field.endsWith('Details')) {
        parts.push(
          html`<details><summary>${field}</summary><pre>${cut(JSON.stringify(redactValue(item), null, 2))}</pre></details>`,
        );
      } else if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        const shown = redactValue({ [field]: item }) as Record<string, unknown>;
        parts.push(
          html`<div class="field"><span class="muted">${field}:</span> ${redactText(String(shown[field]))}</div>`,
        );
      }
    }
  }
  return parts;
}

const stateName = (event: HistoryEvent): string | undefined =>
  event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name;

/** The execution's events, oldest first; each one's input and output unfold, their secrets hidden. */
export function eventsTable(events: readonly HistoryEvent[], cutShort: boolean): Html {
  if (events.length === 0) return html`<p class="muted">No events.</p>`;
  const start = events[0]?.timestamp?.getTime() ?? 0;
  return html`<table class="data events"><thead><tr><th>#</th><th>Type</th><th>State</th><th>Elapsed</th><th>Details</th></tr></thead><tbody>${events.map(
    (e) =>
      html`<tr class="${/Failed|TimedOut|Aborted/.test(e.type ?? '') ? 'bad' : ''}"><td class="num">${e.id}</td><td>${e.type}</td><td>${stateName(e)}</td><td class="num">${e.timestamp ? `${((e.timestamp.getTime() - start) / 1000).toFixed(3)} s` : ''}</td><td>${details(e)}</td></tr>`,
  )}</tbody></table>${cutShort ? html`<p class="muted">Only the first events are shown.</p>` : ''}`;
}

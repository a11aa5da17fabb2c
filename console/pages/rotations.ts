import { age, oneLine, short } from '../../cli/index.ts';
import { ROTATION_STATUSES } from '../../workflows/rotate-device/table.ts';
import type { RotationsPage } from '../data/rotations-page.ts';
import { type Html, html } from '../html.ts';

/** One page of the rotations in a status, with a link to the next: the table is never read whole. */
export function rotationsListPage(view: RotationsPage, now: number, first: boolean): Html {
  const tabs = ROTATION_STATUSES.map(
    (s) =>
      html`<a class="tab${s === view.status ? ' active' : ''}" href="/rotations?status=${encodeURIComponent(s)}">${s}</a>`,
  );
  const rows =
    view.records.length === 0
      ? html`<tr><td colspan="7" class="muted">No rotations ${view.status}${first ? '' : ' on this page'}.</td></tr>`
      : view.records.map(
          (r) =>
            html`<tr><td><a href="/rotations/${encodeURIComponent(r.thingName)}">${r.thingName}</a></td><td>${r.phase}</td><td class="num">${r.attempt}</td><td class="mono">${r.campaign}</td><td>${r.statusSince ?? r.updatedAt}</td><td class="num">${age(r.startedAt, now)}</td><td class="mono small">${short(r.oldCertificateId)}</td><td class="wrap small">${oneLine(r.lastError, 90)}</td></tr>`,
        );
  const nav = html`<p class="pager">${first ? '' : html`<a href="/rotations?status=${encodeURIComponent(view.status)}">First page</a> `}${
    view.next
      ? html`<a rel="next" href="/rotations?status=${encodeURIComponent(view.status)}&amp;cursor=${view.next}">Next page</a>`
      : ''
  }</p>`;
  return html`<h1>Rotations ${view.status}</h1><nav class="tabs">${tabs}</nav><p class="muted small">Most recently in the status first.</p><table class="data"><thead><tr><th>Thing</th><th>Phase</th><th>Attempt</th><th>Campaign</th><th>Since</th><th>Age</th><th>Old cert</th><th>Last error</th></tr></thead><tbody>${rows}</tbody></table>${nav}`;
}

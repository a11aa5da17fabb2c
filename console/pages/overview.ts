import { percent, rate } from '../../cli/index.ts';
import type { ExpiryState } from '../data/expiry.ts';
import type { CampaignRow, Overview } from '../data/overview.ts';
import { actionForm, type Html, html } from '../html.ts';

const duration = (seconds: number | undefined): string | undefined => {
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
};

const statusLink = (status: string): string => `/rotations?status=${encodeURIComponent(status)}`;

function counts(view: Overview): Html {
  return html`<section><h2>Rotations by status</h2><div class="counts">${view.counts.map(
    ([status, count]) =>
      html`<a class="count status-${status}" href="${statusLink(status)}"><span class="n">${count}</span><span class="label">${status}</span></a>`,
  )}</div></section>`;
}

function campaignActions(csrf: string | undefined, row: CampaignRow): Html {
  const status = row.meta?.status;
  if (status === 'RUNNING' || status === 'ENQUEUEING') {
    return actionForm(
      csrf,
      'campaign-stop',
      { campaign: row.campaignId },
      'Stop',
      `Stop campaign ${row.campaignId}? Rotations already started go on.`,
      html`<input name="reason" placeholder="reason" maxlength="500" aria-label="reason">`,
    );
  }
  if (status === 'STOPPED') {
    return actionForm(
      csrf,
      'campaign-resume',
      { campaign: row.campaignId },
      'Resume',
      `Resume campaign ${row.campaignId}?`,
    );
  }
  return html``;
}

function campaigns(view: Overview, csrf: string | undefined): Html {
  if (!Array.isArray(view.campaigns)) {
    return html`<section><h2>Campaigns</h2><p class="muted">${(view.campaigns as { unavailable: string }).unavailable}</p></section>`;
  }
  const rows = view.campaigns as readonly CampaignRow[];
  if (rows.length === 0) {
    return html`<section><h2>Campaigns</h2><p class="muted">No campaigns yet: an audit with findings starts one.</p></section>`;
  }
  return html`<section><h2>Campaigns</h2><table class="data"><thead><tr><th>Campaign</th><th>Status</th><th>Started / queued</th><th>Succeeded</th><th>Failed</th><th>In flight</th><th>Parked</th><th>Start rate</th><th>Measured</th><th>Start ETA</th><th>Failure rate</th><th></th></tr></thead><tbody>${rows.map(
    (
      r,
    ) => html`<tr data-campaign="${r.campaignId}"><td class="mono">${r.campaignId}</td><td><span class="badge">${r.meta?.status ?? (r.problem ? 'UNREADABLE' : 'NO META')}</span>${r.meta?.stopReason ? html`<div class="muted small">${r.meta.stopReason}</div>` : ''}${r.problem ? html`<div class="error small">${r.problem}</div>` : ''}</td>
<td class="num">${r.meta ? `${r.meta.started} / ${r.meta.queued}` : ''}${r.meta && r.meta.queued > 0 ? html`<progress max="${r.meta.queued}" value="${r.meta.started}"></progress>` : ''}</td>
<td class="num">${r.meta?.succeeded}</td><td class="num">${r.meta?.failed}</td><td class="num">${r.progress?.inFlight}</td><td class="num">${r.meta?.parked}</td>
<td class="num">${rate(r.meta?.pacing?.startsPerSecond)}</td><td class="num">${rate(r.progress?.measuredStartsPerSecond)}</td>
<td class="num">${duration(r.progress?.startEtaSeconds)}${r.progress?.etaIsLowerBound ? '+' : ''}</td><td class="num">${percent(r.progress?.failureRate)}</td>
<td>${campaignActions(csrf, r)}</td></tr>`,
  )}</tbody></table></section>`;
}

function failures(view: Overview): Html {
  if (view.failures.length === 0) {
    return html`<section><h2>Failures by error</h2><p class="muted">No failed rotations.</p></section>`;
  }
  return html`<section><h2>Failures by error</h2><p class="muted small">The ${view.failuresRead} most recent failed, timed out and aborted rotations, grouped by their error.</p><table class="data"><thead><tr><th>Count</th><th>Error</th><th>Things</th></tr></thead><tbody>${view.failures.map(
    (g) =>
      html`<tr><td class="num">${g.count}</td><td class="mono wrap">${g.error}</td><td>${g.things.map(
        (t) => html`<a href="/rotations/${encodeURIComponent(t)}">${t}</a> `,
      )}${g.count > g.things.length ? '…' : ''}</td></tr>`,
  )}</tbody></table></section>`;
}

const weekLabel = (week: number): string =>
  week < 0 ? 'already expired' : week === 0 ? 'within 7 days' : `in ${week * 7}-${week * 7 + 7} days`;

function expiry(state: ExpiryState): Html {
  const head = html`<h2>Certificates expiring by week</h2>`;
  if (state.state === 'computing')
    return html`<section>${head}<p class="muted">Reading the latest audit's findings…</p></section>`;
  if (state.state === 'unavailable')
    return html`<section>${head}<p class="muted">${state.reason}</p></section>`;
  const { value } = state;
  const max = Math.max(1, ...value.weeks.map((w) => w.count));
  return html`<section>${head}<p class="muted small">ACTIVE certificates found by audit task ${value.taskId} (${value.taskStartTime ?? 'start unknown'}).${value.notLookedUp > 0 ? ` ${value.notLookedUp} more not looked up.` : ''}</p>${
    value.weeks.length === 0
      ? html`<p class="muted">None of its findings is still ACTIVE: they were rotated.</p>`
      : html`<table class="data bars"><tbody>${value.weeks.map(
          (w) =>
            html`<tr><td>${weekLabel(w.week)}</td><td class="num">${w.count}</td><td><meter min="0" max="${max}" value="${w.count}"></meter></td></tr>`,
        )}</tbody></table>`
  }</section>`;
}

function operatorActions(csrf: string | undefined): Html {
  if (csrf === undefined) return html``;
  return html`<section class="tools"><h2>Act</h2>${actionForm(
    csrf,
    'rotate',
    {},
    'Start rotation',
    'Start a rotation of this thing?',
    html`<input name="thing" placeholder="thing name" required pattern="[A-Za-z0-9:_-]{1,128}" aria-label="thing name">`,
  )}${actionForm(
    csrf,
    'audit',
    {},
    'Run audit',
    'Run an on-demand Device Defender audit? Its findings start a campaign.',
    html`<select name="check" aria-label="audit check"><option value="expiring">expiring certificates</option><option value="age">certificate age</option></select>`,
  )}</section>`;
}

export function overviewPage(view: Overview, expiryState: ExpiryState, csrf: string | undefined): Html {
  return html`<h1>Fleet overview</h1>${counts(view)}${operatorActions(csrf)}${campaigns(view, csrf)}${failures(view)}${expiry(expiryState)}`;
}

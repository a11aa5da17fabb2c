import { readableError } from '../../cli/index.ts';
import type { AslGraph } from '../asl-graph.ts';
import type { RotationDetail } from '../data/rotation-detail.ts';
import { graphSvg, OUTCOMES } from '../graph-svg.ts';
import { actionForm, type Html, html, raw } from '../html.ts';
import { eventsTable } from './events.ts';

const row = (label: string, value: Html | string | number | undefined): Html =>
  value === undefined || value === '' ? html`` : html`<tr><th>${label}</th><td>${value}</td></tr>`;

function recordTable(d: RotationDetail): Html {
  const r = d.record;
  const e = d.execution;
  return html`<table class="kv">${row('Status', html`<span class="badge status-${r.status}">${r.status}</span> phase ${r.phase}, attempt ${r.attempt ?? 1}`)}${row('Campaign', r.campaign)}${row('Rotation id', r.rotationId)}${row('Execution', html`<span class="mono small">${r.executionArn}</span>`)}${row(
    'Execution status',
    e
      ? [
          e.status,
          e.redriveStatus?.toLowerCase().replaceAll('_', ' '),
          e.redriveCount ? `redriven ${e.redriveCount}×` : undefined,
        ]
          .filter(Boolean)
          .join(', ')
      : d.executionNote,
  )}${row('Last error', r.lastError ? html`<span class="error-text">${readableError(r.lastError)}</span>` : undefined)}${
    d.consoleLink
      ? row('AWS console', html`<a href="${d.consoleLink}" rel="noreferrer">execution in Step Functions</a>`)
      : ''
  }</table>`;
}

function recordTimeline(d: RotationDetail): Html {
  const r = d.record;
  const marks: Array<[string, string | undefined]> = [
    ['started', r.startedAt],
    ['issuing started', r.issuingStartedAt],
    ['proven', r.provenAt],
    ['old certificate retired', r.oldCertificateRetiredAt],
    ['escalated', r.escalatedAt],
    ['completed', r.completedAt],
    [`in ${r.status} since`, r.statusSince],
    ['last updated', r.updatedAt],
  ];
  const known = marks
    .filter((m): m is [string, string] => m[1] !== undefined)
    .sort((a, b) => a[1].localeCompare(b[1]));
  return html`<ol class="record-timeline">${known.map(([what, at]) => html`<li><time>${at}</time> ${what}</li>`)}</ol>`;
}

function stepsTable(d: RotationDetail): Html {
  if (d.timeline.length === 0) return html`<p class="muted">No steps.</p>`;
  return html`<table class="data"><thead><tr><th>Step</th><th>Entered</th><th>Left</th><th>Outcome</th><th>Tries</th><th>Error</th></tr></thead><tbody>${d.timeline.map(
    (s) =>
      html`<tr class="outcome-${s.outcome.replace(' ', '-')}"><td>${s.step}</td><td class="small">${s.at}</td><td class="small">${s.exitedAt}</td><td>${s.outcome}</td><td class="num">${s.attempts > 0 ? s.attempts : ''}</td><td class="wrap small">${s.error}</td></tr>`,
  )}</tbody></table>`;
}

function certificates(d: RotationDetail): Html {
  return html`<table class="data"><thead><tr><th>Certificate</th><th>Id</th><th>Status</th><th>Expires</th><th>Policies</th></tr></thead><tbody>${d.certificates.map(
    (c) =>
      html`<tr><td>${c.role}</td><td class="mono small">${c.certificateId}</td><td><span class="badge cert-${c.status}">${c.status}</span></td><td class="small">${c.notAfter}</td><td>${c.policies.join(', ')}</td></tr>`,
  )}</tbody></table>`;
}

function escalation(d: RotationDetail): Html {
  const r = d.record;
  if (r.escalatedAt === undefined) return html`<p class="muted">None.</p>`;
  return html`<p>Escalated at <time>${r.escalatedAt}</time> to the escalation topic${r.lastError ? html`: <span class="error-text">${readableError(r.lastError)}</span>` : ''}.</p>`;
}

function actions(d: RotationDetail, csrf: string | undefined): Html {
  const thing = d.record.thingName;
  const status = d.record.status;
  const back = `/rotations/${encodeURIComponent(thing)}`;
  const failed = status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED';
  return html`<div class="actions">${
    failed
      ? actionForm(
          csrf,
          'redrive',
          { thing, returnTo: back },
          'Redrive',
          `Redrive the rotation of ${thing} from the step that failed?`,
        )
      : ''
  }${
    status !== 'SUCCEEDED' && status !== 'ABANDONED'
      ? actionForm(
          csrf,
          'abandon',
          { thing, returnTo: back },
          'Abandon',
          `Abandon the rotation of ${thing}? The certificate it issued is revoked; the old one stays.`,
        )
      : ''
  }${
    status !== 'IN_PROGRESS'
      ? actionForm(
          csrf,
          'rotate',
          { thing, fresh: 'yes', returnTo: back },
          'Start a new rotation',
          `Start a new rotation of ${thing}?`,
        )
      : ''
  }</div>`;
}

/** A rotation's page: what it is, where it stands in the graph, what happened, and what to do next. */
export function rotationPage(d: RotationDetail, graph: AslGraph, csrf: string | undefined): Html {
  const legend = OUTCOMES.map(
    (o) => html`<span class="legend state-${o.replace(' ', '-')}"><i></i>${o}</span>`,
  );
  return html`<h1>Rotation of <span class="mono">${d.record.thingName}</span></h1>
<div class="columns"><div>
<section><h2>Record</h2>${recordTable(d)}</section>
<section class="next-step"><h2>Next step</h2><p>${d.nextStep.charAt(0).toUpperCase()}${d.nextStep.slice(1)}</p>${actions(d, csrf)}</section>
<section><h2>Certificates</h2>${certificates(d)}</section>
<section><h2>Escalation</h2>${escalation(d)}</section>
<section><h2>Record timeline</h2>${recordTimeline(d)}</section>
</div><div>
<section><h2>State machine</h2><div class="graph-box">${raw(graphSvg(graph, d.outcomes, d.execution?.status))}</div><p class="legends">${legend}</p></section>
</div></div>
<section><h2>Steps</h2>${stepsTable(d)}</section>
<section><h2>Event history</h2>${eventsTable(d.events, d.eventsCut)}</section>`;
}

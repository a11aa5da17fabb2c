/** HTML text built from template strings: every interpolated value is escaped unless it is Html. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Html | string | number | boolean | undefined | null | readonly Value[];

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function render(value: Value): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** The tag of escaped templates: html`<td>${name}</td>`. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? '';
  for (const [i, value] of values.entries()) out += render(value) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Markup made elsewhere (the graph's SVG), taken as it is. */
export const raw = (text: string): Html => new Html(text);

export interface PageFrame {
  readonly title: string;
  /** The CSRF token, for the page's action forms (absent in read-only mode). */
  readonly csrf: string | undefined;
  readonly target: string;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
  /** Seconds between refreshes of the page's main part, when it refreshes by itself. */
  readonly refreshSeconds?: number;
}

/** The page around a body: navigation, messages, the stylesheet and the script. */
export function page(frame: PageFrame, body: Html): string {
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · recert console</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<header><a class="brand" href="/">recert console</a><nav><a href="/">Overview</a><a href="/rotations">Rotations</a></nav><span class="target">${frame.target}</span></header>
<main data-refresh="${frame.refreshSeconds ?? ''}">
${frame.notice ? html`<p class="notice" role="status">${frame.notice}</p>` : ''}
${frame.error ? html`<p class="error" role="alert">${frame.error}</p>` : ''}
${body}
</main>
</body>
</html>`}`;
}

/** A form that posts one action, asking for confirmation first (console.js). */
export function actionForm(
  csrf: string | undefined,
  action: string,
  fields: Readonly<Record<string, string>>,
  label: string,
  confirm: string,
  extra: Html = html``,
): Html {
  if (csrf === undefined) return html``;
  const hidden = Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  );
  return html`<form class="action" method="post" action="/actions/${action}" data-confirm="${confirm}"><input type="hidden" name="csrf" value="${csrf}">${hidden}${extra}<button type="submit">${label}</button></form>`;
}

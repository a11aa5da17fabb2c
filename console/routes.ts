import type { IncomingMessage } from 'node:http';
import { CliError, EXIT, errorMessage, errorName, thingNameArg } from '../cli/index.ts';
import { ACTIONS, type Form } from './actions/registry.ts';
import { BadRequestError, type ConsoleContext } from './context.ts';
import { overview } from './data/overview.ts';
import { rotationDetail } from './data/rotation-detail.ts';
import { decodeCursor, rotationsPage, statusParam } from './data/rotations-page.ts';
import { type Html, html, page } from './html.ts';
import { overviewPage } from './pages/overview.ts';
import { rotationPage } from './pages/rotation.ts';
import { rotationsListPage } from './pages/rotations.ts';

export interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly location?: string;
}

/** What a page knows of its request: the CSRF token to put in forms, and the messages to show. */
interface PageRequest {
  readonly url: URL;
  readonly csrf: string | undefined;
}

function frame(context: ConsoleContext, request: PageRequest, title: string, refreshSeconds?: number) {
  const { resources, kind } = context.target;
  return {
    title,
    csrf: request.csrf,
    target: `${kind === 'local' ? 'local AWS' : 'AWS'} · ${resources.region}${context.readOnly ? ' · read-only' : ''}`,
    notice: request.url.searchParams.get('notice') ?? undefined,
    error: request.url.searchParams.get('error') ?? undefined,
    ...(refreshSeconds !== undefined ? { refreshSeconds } : {}),
  };
}

/** The HTTP status of a failure, and the message shown for it: never a stack trace. */
export function failureOf(error: unknown): { status: number; message: string } {
  if (error instanceof BadRequestError) return { status: 400, message: error.message };
  if (error instanceof CliError) {
    const status =
      error.exitCode === EXIT.notFound
        ? 404
        : error.exitCode === EXIT.usage
          ? 400
          : error.exitCode === EXIT.unavailable
            ? 503
            : 409;
    return { status, message: error.hint ? `${error.message} (${error.hint})` : error.message };
  }
  return { status: 500, message: `${errorName(error)}: ${errorMessage(error)}` };
}

function errorPage(context: ConsoleContext, request: PageRequest, error: unknown): Reply {
  const { status, message } = failureOf(error);
  const body: Html = html`<h1>${status === 404 ? 'Not found' : 'Could not show this page'}</h1><p class="error" role="alert">${message}</p><p><a href="/">Back to the overview</a></p>`;
  return { status, body: page(frame(context, request, 'Error'), body) };
}

/** The pages: the overview, the rotations of a status page by page, and one rotation. */
export async function getPage(context: ConsoleContext, request: PageRequest): Promise<Reply> {
  const path = request.url.pathname;
  try {
    if (path === '/') {
      const view = await overview(context.target, context.now());
      return {
        status: 200,
        body: page(
          frame(context, request, 'Overview', 5),
          overviewPage(view, context.expiry.current(), request.csrf),
        ),
      };
    }
    if (path === '/rotations') {
      const status = statusParam(request.url.searchParams.get('status'));
      const cursor = decodeCursor(request.url.searchParams.get('cursor'));
      const view = await rotationsPage(context.target, status, cursor);
      return {
        status: 200,
        body: page(
          frame(context, request, `Rotations ${status}`),
          rotationsListPage(view, context.now(), cursor === undefined),
        ),
      };
    }
    const match = /^\/rotations\/([^/]+)$/.exec(path);
    if (match?.[1] !== undefined) {
      const thing = thingNameArg(decodeURIComponent(match[1]));
      const detail = await rotationDetail(context.target, thing);
      return {
        status: 200,
        body: page(
          frame(context, request, thing, 3),
          rotationPage(detail, context.rotateGraph, request.csrf),
        ),
      };
    }
    return {
      status: 404,
      body: page(
        frame(context, request, 'Not found'),
        html`<h1>Not found</h1><p>There is no page ${path}.</p><p><a href="/">Back to the overview</a></p>`,
      ),
    };
  } catch (error) {
    return errorPage(context, request, error);
  }
}

/** Where an action sends the browser back to: a path of this console, never another site. */
function localPath(text: string | undefined, fallback: string): string {
  return text?.startsWith('/') && !text.startsWith('//') && !text.includes('\\') ? text : fallback;
}

const withMessage = (location: string, key: 'notice' | 'error', message: string): string => {
  const url = new URL(location, 'http://console');
  url.searchParams.set(key, message);
  return `${url.pathname}${url.search}`;
};

/** Runs an action (already authenticated and CSRF-checked) and redirects with its outcome. */
export async function postAction(context: ConsoleContext, name: string, form: Form): Promise<Reply> {
  const action = Object.hasOwn(ACTIONS, name) ? ACTIONS[name] : undefined;
  if (action === undefined) return { status: 404, body: `unknown action ${name}` };
  try {
    const result = await action(context, form);
    return { status: 303, location: withMessage(result.location, 'notice', result.notice) };
  } catch (error) {
    // A refusal goes back to the page the form was on, which shows why.
    return {
      status: 303,
      location: withMessage(localPath(form.get('returnTo'), '/'), 'error', failureOf(error).message),
    };
  }
}

/** A urlencoded form body as a map (the last value of a repeated field wins). */
export function parseForm(body: Buffer, req: IncomingMessage): Form | undefined {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return undefined;
  return new Map(new URLSearchParams(body.toString('utf8')));
}

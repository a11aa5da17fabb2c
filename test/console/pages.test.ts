import { DescribeAuditTaskCommand } from '@aws-sdk/client-iot';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTarget } from '../../cli/target/local-target.ts';
import type { Target } from '../../cli/target/target.ts';
import { PAGE_SIZE } from '../../console/data/rotations-page.ts';
import { type RunningConsole, startConsole } from '../../console/server.ts';
import { startLocal, stopLocal } from '../e2e/helpers.ts';

const RECORDS = 2 * PAGE_SIZE + 7;
const SECRET_TOKEN = 'task-token-never-on-a-page-0123456789';

describe('the console pages on a rotation table larger than a page', () => {
  let env: Awaited<ReturnType<typeof startLocal>> | undefined;
  let target: Target | undefined;
  let running: RunningConsole | undefined;

  beforeAll(async () => {
    env = await startLocal();
    const { local } = env;
    const base = Date.parse('2026-06-01T00:00:00Z');
    const items = Array.from({ length: RECORDS }, (_, i) => {
      const at = new Date(base + i * 1000).toISOString();
      return {
        thingName: `page-${String(i).padStart(3, '0')}`,
        status: 'FAILED',
        phase: 'AWAITING_CSR',
        executionArn: `${local.resources.stateMachineArn.replace(':stateMachine:', ':execution:')}:gone-${i}`,
        oldCertificateId: i.toString(16).padStart(64, '0'),
        statusSince: at,
        updatedAt: at,
        taskToken: SECRET_TOKEN,
        lastError: i % 2 === 0 ? `States.Timeout: waited ${i} s` : 'CsrRejected: weak key',
      };
    });
    for (let i = 0; i < items.length; i += 25) {
      await local.clients.documents.send(
        new BatchWriteCommand({
          RequestItems: {
            [local.resources.rotationTableName]: items
              .slice(i, i + 25)
              .map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    }
    target = await localTarget(env.dir);
    running = await startConsole({ target });
  });

  afterAll(async () => {
    await running?.close();
    target?.close();
    await stopLocal(env);
  });

  const get = async (path: string): Promise<{ status: number; body: string }> => {
    if (!running) throw new Error('no console');
    const response = await fetch(`${running.origin}${path}`, {
      headers: { cookie: `recert_console=${running.session.token}` },
    });
    return { status: response.status, body: await response.text() };
  };

  it('lists a status page by page, each thing once, newest first, following the Next links', async () => {
    // Act
    const pages: string[][] = [];
    let path: string | undefined = '/rotations?status=FAILED';
    while (path !== undefined) {
      const { status, body } = await get(path);
      expect(status).toBe(200);
      pages.push([...body.matchAll(/href="\/rotations\/(page-\d+)"/g)].map((m) => m[1] ?? ''));
      const next = /rel="next" href="([^"]+)"/.exec(body)?.[1];
      path = next?.replaceAll('&amp;', '&');
    }

    // Assess
    const things = pages.flat();
    expect(pages.every((page) => page.length <= PAGE_SIZE)).toBe(true);
    expect(new Set(things).size).toBe(RECORDS);
    expect(things.length).toBe(RECORDS);
    expect(things[0]).toBe(`page-${String(RECORDS - 1).padStart(3, '0')}`);
  });

  it('counts and groups the failures on the overview, without any task token', async () => {
    // Act
    const { status, body } = await get('/');

    // Assess
    expect(status).toBe(200);
    expect(body).toMatch(new RegExp(`class="count status-FAILED[^"]*"[^>]*><span class="n">${RECORDS}<`));
    expect(body).toContain('States.Timeout: waited &lt;n&gt; s');
    expect(body).toContain('CsrRejected: weak key');
    expect(body).not.toContain(SECRET_TOKEN);
  });

  it('shows a rotation whose execution Step Functions no longer has, and says what to do', async () => {
    // Act
    const { status, body } = await get('/rotations/page-004');

    // Assess
    expect(status).toBe(200);
    expect(body).toContain('no longer exists in Step Functions');
    expect(body).toContain('recert redrive page-004');
    expect(body).not.toContain(SECRET_TOKEN);
  });

  it('answers an unknown thing with 404, and a malformed cursor or status with 400, as messages', async () => {
    // Act
    const unknown = await get('/rotations/nobody-here');
    const cursor = await get('/rotations?status=FAILED&cursor=not-a-cursor');
    const badStatus = await get('/rotations?status=LOST');

    // Assess
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('there is no thing named nobody-here');
    expect(cursor.status).toBe(400);
    expect(cursor.body).toContain('cursor');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body).not.toMatch(/at \w+ \(/);
  });

  const post = async (action: string, fields: Record<string, string>): Promise<URL> => {
    if (!running) throw new Error('no console');
    const response = await fetch(`${running.origin}/actions/${action}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: `recert_console=${running.session.token}`,
        'content-type': 'application/x-www-form-urlencoded',
        origin: running.origin,
      },
      body: new URLSearchParams({ ...fields, csrf: running.session.csrf }).toString(),
    });
    expect(response.status).toBe(303);
    return new URL(String(response.headers.get('location')), running.origin);
  };

  it("runs actions through the CLI's code, and shows its refusals on the page they came from", async () => {
    // Act
    const audit = await post('audit', { check: 'expiring' });
    const redrive = await post('redrive', { thing: 'page-004', returnTo: '/rotations/page-004' });
    const rotate = await post('rotate', { thing: 'nobody-here' });

    // Assess
    const taskId = /audit task (\w+)/.exec(audit.searchParams.get('notice') ?? '')?.[1];
    expect(taskId).toBeDefined();
    const task = await env?.local.clients.iot.send(new DescribeAuditTaskCommand({ taskId }));
    expect(task?.taskType).toBe('ON_DEMAND_AUDIT_TASK');
    expect(redrive.pathname).toBe('/rotations/page-004');
    expect(redrive.searchParams.get('error')).toMatch(/execution \S+ does not exist/);
    expect(rotate.pathname).toBe('/');
    expect(rotate.searchParams.get('error')).toContain('there is no thing named nobody-here');
  });

  it('abandons a rotation, and refuses campaign actions the CLI refuses', async () => {
    // Act
    const abandon = await post('abandon', { thing: 'page-006', returnTo: '/rotations/page-006' });
    const again = await post('redrive', { thing: 'page-006', returnTo: '/rotations/page-006' });
    const stop = await post('campaign-stop', { campaign: 'audit-nothing-here' });
    const resume = await post('campaign-resume', { campaign: 'not a campaign!' });
    const page = await get('/rotations/page-006');

    // Assess
    expect(abandon.searchParams.get('notice')).toContain('Abandoned the rotation of page-006');
    expect(again.searchParams.get('error')).toContain(
      'the rotation of page-006 was abandoned by an operator',
    );
    expect(stop.searchParams.get('error')).toContain('campaign audit-nothing-here does not exist');
    expect(resume.searchParams.get('error')).toContain('is not a campaign id');
    expect(page.body).toContain('status-ABANDONED');
  });
});

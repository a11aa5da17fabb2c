import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { localTarget } from '../../cli/target/local-target.ts';
import { type RunningConsole, startConsole } from '../../console/server.ts';
import { honestBehaviour } from '../../device/agent/behaviour.ts';
import { rotationRecord } from '../e2e/helpers.ts';
import { recordWithStatus, runAudit, scenarioPerTest, startSilentDevice } from '../e2e/scenario.ts';

/** Debian's chromium, which .ci/run installs. */
const CHROMIUM = process.env.RECERT_CHROMIUM ?? '/usr/bin/chromium';
/** Where the pages' screenshots go: console/screenshots when refreshing the README's, else a temporary folder. */
const SHOTS = resolve(process.env.RECERT_CONSOLE_SCREENSHOTS ?? join(tmpdir(), 'recert-console-screenshots'));
/** Long enough for a loaded 2-core machine: every wait below is for a condition, not a duration. */
const WAIT_MS = 90_000;

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the console in a browser, during a local fleet', () => {
  const startScenario = scenarioPerTest();
  let browser: Browser | undefined;
  let running: RunningConsole | undefined;
  let closeTarget: (() => void) | undefined;
  afterEach(async () => {
    await browser?.close();
    await running?.close();
    closeTarget?.();
  });

  it('shows a failed rotation in the graph, refuses an action without the CSRF token, and redrives it to success', async () => {
    // Prepare: a device that goes silent after its first CSR, with short waits so it fails quickly.
    const { scenario, device } = await startSilentDevice(startScenario, 'console');
    const { local } = scenario;
    const thing = device.thingName;
    await runAudit(local);
    const failed = await recordWithStatus(local, thing, ['FAILED', 'SUCCEEDED'], WAIT_MS);
    expect(failed.status).toBe('FAILED');
    const target = await localTarget(scenario.env.dir);
    closeTarget = () => target.close();
    running = await startConsole({ target });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], timeout: WAIT_MS });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);

    // Act 1: the printed URL opens the overview.
    await page.goto(running.url);

    // Assess 1: the token left the address bar for a cookie; the failure is counted and grouped.
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    expect(await page.locator('a.count.status-FAILED .n').textContent()).toBe('1');
    const failureLink = page.locator(
      `section:has(h2:text("Failures by error")) a[href="/rotations/${thing}"]`,
    );
    await failureLink.waitFor();
    await shot(page, 'overview');

    // Act 2: open the failed rotation.
    await failureLink.click();

    // Assess 2: the graph shows where it failed and what it never reached; no secret is on the page.
    await page.locator('g.state[data-state="RequestCsr"][data-outcome="failed"]').waitFor();
    expect(await page.locator('g.state[data-state="ClaimThing"]').getAttribute('data-outcome')).toBe(
      'succeeded',
    );
    expect(
      await page.locator('g.state[data-state="RetireOldCertificate"]').getAttribute('data-outcome'),
    ).toBe('not reached');
    const html = await page.content();
    const stored = await rotationRecord(local, thing);
    for (const secret of [stored?.taskToken, stored?.newCertificatePem]) {
      if (typeof secret === 'string') expect(html).not.toContain(secret.slice(0, 60));
    }
    expect(html).not.toContain('BEGIN CERTIFICATE');
    await shot(page, 'rotation-failed');

    // Act 3: the same redrive, sent without the CSRF token and then with a forged one.
    const bare = await page.request.post(`${running.origin}/actions/redrive`, {
      form: { thing },
      maxRedirects: 0,
    });
    const forged = await page.request.post(`${running.origin}/actions/redrive`, {
      form: { thing, csrf: 'forged' },
      maxRedirects: 0,
    });

    // Assess 3: both refused, and the rotation is still FAILED.
    expect([bare.status(), forged.status()]).toEqual([403, 403]);
    expect(await bare.text()).toContain('CSRF');
    expect((await rotationRecord(local, thing))?.status).toBe('FAILED');

    // Act 4: the device answers again; the operator redrives from the page, confirming the dialog.
    device.setBehaviour(honestBehaviour);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('form[action="/actions/redrive"] button').click();

    // Assess 4: the page says so, then refreshes by itself until the rotation has succeeded.
    const outcome = page.locator('.notice, .error').first();
    await outcome.waitFor();
    expect(await outcome.textContent()).toContain('Redriven');
    await page.locator('g.state[data-state="End"][data-outcome="succeeded"]').waitFor();
    // The state that failed is left this time: at once, or after a retry (caught) when the CSR came
    // later than the short wait on a busy machine.
    expect(await page.locator('g.state[data-state="RequestCsr"]').getAttribute('data-outcome')).toMatch(
      /^(succeeded|caught)$/,
    );
    await page.locator('.badge.status-SUCCEEDED').first().waitFor();
    const record = await recordWithStatus(local, thing, ['SUCCEEDED'], WAIT_MS);
    expect(record.executionArn).toBe(failed.executionArn);
    await shot(page, 'rotation-succeeded');

    // The rotations of a status, page by page.
    await page.goto(`${running.origin}/rotations?status=SUCCEEDED`);
    await page.locator(`a[href="/rotations/${thing}"]`).waitFor();
    await shot(page, 'rotations');
  }, 300_000);
});

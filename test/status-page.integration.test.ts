// The status page in a real browser: Debian's Chromium (headless, driven by
// playwright-core) opens GET /, presses Play on the mount, and the <audio>
// element plays (its currentTime advances) while the page's listener count
// rises from the live /status.json. A screenshot is kept in test-artifacts/.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { requireTool, runTool, startTool } from './support/clients.js';
import { PASSWORD, RelayProcess, SAMPLE_MP3, CLI } from './support/relay-process.js';
import { waitFor } from './support/wait.js';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Every relaycast_refusals_total series with a non-zero value. */
function refusalSeries(metrics: string): string[] {
  return metrics.split('\n').filter((line) => line.startsWith('relaycast_refusals_total{') && !line.endsWith(' 0'));
}

test('/favicon.ico is a small SVG with a long Cache-Control, on both ports, and no refusal', async (t) => {
  const relay = await RelayProcess.start();
  t.after(() => relay.stop());
  for (const base of [relay.listenUrl, relay.ingestUrl]) {
    const res = await fetch(`${base}/favicon.ico`);
    assert.equal(res.status, 200, base);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.match(res.headers.get('cache-control') ?? '', /max-age=(\d{6,})/);
    const svg = await res.text();
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>\n$/);
    assert.ok(svg.length < 1024, `${svg.length} bytes`);
  }
  const page = await (await fetch(`${relay.listenUrl}/`)).text();
  assert.match(page, /<link rel="icon" href="\/favicon.ico" type="image\/svg\+xml">/);
  assert.deepEqual(refusalSeries(await relay.metrics()), []);
});

test('the status page plays a mount in Chromium and its listener count rises', async (t) => {
  if (!requireTool(t, 'chromium')) return;
  const relay = await RelayProcess.startFor(t);
  // Chromium asks for /favicon.ico, which the relay does not have (issue 12 adds one).
  relay.expectWarnings('no such mount: /favicon.ico');
  // A real MP3 (the bundled tone), pushed in real time, so the browser has something to decode.
  const push = startTool(process.execPath, [
    CLI,
    'push',
    SAMPLE_MP3,
    '--url',
    `http://source:${PASSWORD}@127.0.0.1:${relay.ingestPort}/listen`,
    '--loop',
    '--name',
    'Tone FM',
  ]);
  t.after(() => push.child.kill());
  await relay.waitForLog((l) => l.msg === 'source connected');

  const userDataDir = mkdtempSync(join(tmpdir(), 'relaycast-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: (await runTool('sh', ['-c', 'command -v chromium'])).stdout.trim(),
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 390, height: 844 }, // a phone
  });
  // The profile goes only once Chromium has exited: removing it under a running browser races its writes (ENOTEMPTY).
  t.after(async () => {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const consoleErrors: string[] = [];
  page.on('pageerror', (err) => consoleErrors.push(err.message));

  await page.goto(`${relay.listenUrl}/`);
  const card = page.locator('section.mount[data-mount="/listen"]');
  await card.waitFor({ timeout: 10_000 });
  assert.equal(await card.locator('.name').textContent(), 'Tone FM');
  const countOnPage = async () => Number(await card.locator('.listeners').textContent());
  const before = await countOnPage();
  assert.equal(before, 0);

  await card.locator('button.play').click();
  const audio = card.locator('audio');
  const startedAt = await waitFor(
    async () => {
      const time = await audio.evaluate((a: HTMLAudioElement) => a.currentTime);
      return time > 0 ? time : undefined;
    },
    15_000,
    'the audio element to start playing',
  );
  // Playing, not just loaded: currentTime keeps moving.
  await waitFor(
    async () => (await audio.evaluate((a: HTMLAudioElement) => a.currentTime)) > startedAt + 1,
    10_000,
    'currentTime to advance by a second',
  );
  assert.equal(await audio.evaluate((a: HTMLAudioElement) => a.paused || a.error !== null), false);
  await waitFor(async () => (await countOnPage()) === before + 1, 10_000, 'the page to show one listener');
  assert.equal(await relay.metric('relaycast_listeners', { mount: '/listen' }), 1, 'the browser is the listener the page counts');
  assert.equal(await card.locator('button.play').textContent(), '■ Stop');

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
  assert.deepEqual(consoleErrors, []);
  // The page's icon is served, so a visit is no refusal (issue 12, item 7). Chromium fetches it
  // from the browser process (no page event shows it); the page also decodes it as an image.
  const iconWidth = await page.evaluate(async () => {
    const href = document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.href ?? '';
    const img = new Image();
    img.src = href;
    await img.decode();
    return img.naturalWidth;
  });
  assert.ok(iconWidth > 0, 'Chromium decodes the icon as an image');
  assert.deepEqual(refusalSeries(await relay.metrics()), [], 'no refusal counted for the visit');
  assert.equal(
    relay.countLogs((l) => typeof l.code === 'string'),
    0,
    'no refusal logged',
  );

  // Stop lets the connection go.
  await card.locator('button.play').click();
  await relay.waitForMetric('relaycast_listeners', { mount: '/listen' }, (v) => v === 0, 10_000);
});

/**
 * /docs in a real browser: Debian's Chromium, driven by playwright-core
 * (never a downloaded browser). Redoc renders every route of the route
 * table, the guide explains the conflicts, and the `type` of a real conflict
 * answer, followed as a link, lands on its explanation. A screenshot is saved
 * in .screenshots/ (the README shows one).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../functions/http/routes';
import { startApi, type TestApi } from '../helpers/local-api';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = resolve(import.meta.dirname, '../../.screenshots');

let api: TestApi;
let browser: Browser;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: sudo apt-get install chromium (or set CHROMIUM_PATH)`,
    );
  }
  api = await startApi();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('the /docs page in Chromium', () => {
  it('renders every route and the conflict guide, and a problem type link lands on its explanation', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Nothing may come from elsewhere: no CDN, no fonts from the web (the page's
    // Content-Security-Policy blocks what Redoc would fetch: its logo).
    const foreign: string[] = [];
    page.on('response', (response) => {
      const url = response.url();
      if (!url.startsWith(api.baseUrl) && !/^(data|blob):/.test(url)) foreign.push(url);
    });

    await page.goto(`${api.baseUrl}/docs`);
    const reference = page.locator('#reference');
    // Redoc has rendered the document once every operation has its heading.
    const summaries = [...new Set(routes.map((route) => route.summary))];
    await reference
      .locator('h2', { hasText: summaries.at(-1) ?? '' })
      .first()
      .waitFor({ timeout: 30_000 });
    const headings = await reference.locator('h2').allInnerTexts();
    for (const summary of summaries) expect(headings, summary).toContain(summary);
    const text = (await reference.textContent()) ?? '';
    for (const path of new Set(routes.map((route) => route.path))) expect(text).toContain(path);

    await expect(page.locator('#problem-version-mismatch').innerText()).resolves.toContain(
      'Re-apply your change',
    );
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'docs.png') });
    await page.locator('#reference h2').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'docs-reference.png') });

    // A real conflict, and its type followed as a browser follows a link.
    const url = `${api.baseUrl}/v1/items/browser-conflict`;
    const headers = { ...api.headers, 'content-type': 'application/json' };
    await fetch(url, { method: 'PUT', headers: { ...headers, 'if-none-match': '*' }, body: '{}' });
    const conflict = await fetch(url, {
      method: 'PUT',
      headers: { ...headers, 'if-match': '"5"' },
      body: '{}',
    });
    const { type } = (await conflict.json()) as { type: string };
    await page.goto(new URL(type, url).href);
    const target = page.locator(':target');
    await expect(target.getAttribute('id')).resolves.toBe('problem-version-mismatch');
    await expect(target.isVisible()).resolves.toBe(true);
    const box = await target.boundingBox();
    expect(box?.y).toBeGreaterThan(-2);
    expect(box?.y).toBeLessThan(900);
    await page.screenshot({ path: join(SCREENSHOTS, 'docs-problem-type.png') });

    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  }, 90_000);
});

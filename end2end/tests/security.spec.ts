import { test, expect } from '@playwright/test';
import { signIn } from './helpers';

test('pages run under a nonce CSP with no violations', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  const resp = await page.goto('/login');
  expect(resp!.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
  await signIn(page, 'alice');
  await page.goto('/tickets/new');
  await page.waitForFunction(() => document.body.dataset.hydrated === 'true');
  await expect(page.locator('.asset-row').first()).toBeVisible();
  expect(violations).toEqual([]);
});

test('the app loads gzip-compressed, and a page loaded on demand fetches only its own code', async ({ page }) => {
  const wasm: { url: string; encoding: string }[] = [];
  page.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasm.push({ url: r.url(), encoding: r.headers()['content-encoding'] ?? '' });
  });
  await signIn(page, 'alice');
  wasm.length = 0;
  await page.goto('/tickets');
  await page.waitForFunction(() => document.body.dataset.hydrated === 'true');
  // The lists need only the main module.
  expect(wasm.map((w) => w.url.split('/').pop())).toEqual(['tollgate_bg.wasm']);
  expect(wasm.every((w) => w.encoding === 'gzip')).toBe(true);
  // Opening the request form (a page loaded on demand) fetches its module, then it works.
  await page.getByRole('link', { name: /new request/i }).first().click();
  await expect(page.locator('.asset-row').first()).toBeVisible();
  expect(wasm.some((w) => /split___new_request_route/.test(w.url))).toBe(true);
  expect(wasm.some((w) => /split___admin_route/.test(w.url))).toBe(false);
  expect(wasm.every((w) => w.encoding === 'gzip')).toBe(true);
});

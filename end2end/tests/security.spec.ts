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

import { test, expect } from '@playwright/test';
import { as, openTicket, signIn, waitForHydration } from './helpers';

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

test('after sign-in, next never leads off the site', async ({ page }) => {
  // Tabs and newlines are dropped by browsers, and a backslash is read as a slash: each of
  // these would have led to another host.
  for (const next of ['/\t/127.0.0.1:9050/x', '/\\evil.example/x', '//evil.example/x', '/\n/evil.example']) {
    await page.context().clearCookies();
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await page.waitForFunction(() => document.body.dataset.hydrated === 'true');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('tollgate-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('user-name')).toBeVisible();
    expect(new URL(page.url()).origin).toBe(site());
    // Signed in, the same link redirects on the server: still on the site.
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    expect(new URL(page.url()).origin).toBe(site());
  }
});

function site(): string {
  return `http://127.0.0.1:${process.env.E2E_PORT ?? 3100}`;
}

test('an org admin’s puppet cannot become the approver of his own requests', async ({ browser }) => {
  const bob = await as(browser, 'bob');
  const admin = await as(browser, 'admin');
  const orgs = await (await bob.page.request.get('/api/v1/orgs')).json();
  const dflt = orgs.items.find((o: any) => o.name === 'Default');
  // bob cannot choose the puppet's password in the People form.
  await bob.page.goto('/admin?tab=people');
  await waitForHydration(bob.page);
  await bob.page.getByLabel('Username').fill('puppet');
  await bob.page.getByLabel('Email').fill('bob@tollgate.example');
  await bob.page.getByLabel('Password').fill('bobs-secret-1');
  await bob.page.locator('#u-org').selectOption({ label: 'Default' });
  await bob.page.getByRole('button', { name: /create/i }).click();
  await expect(bob.page.getByText('Only super admins set passwords', { exact: false })).toBeVisible();
  // Made without one, the puppet gets a link by mail; bob names it as Default's approver.
  const made = await bob.page.request.post('/api/v1/users', {
    data: { username: 'puppet', email: 'bob@tollgate.example', orgs: [{ org_id: dflt.id, role: 'org_user' }] },
  });
  expect(made.status()).toBe(201);
  const puppet = await made.json();
  const flowBefore = await (await bob.page.request.get(`/api/v1/flows/${dflt.id}/apply_asset`)).json();
  const put = await bob.page.request.put(`/api/v1/flows/${dflt.id}/apply_asset`, {
    data: { levels: [{ selector: { users: [puppet.id], super_admins: false, org_admins: false }, rule: 'any' }], cc: [] },
  });
  expect(put.status()).toBe(200);
  const change = (await put.json()).pending_change;
  try {
    // The editor says the change waits; bob's own request still goes to the old approvers.
    await bob.page.goto(`/flows/${dflt.id}/apply_asset`);
    await waitForHydration(bob.page);
    await expect(bob.page.getByTestId('awaiting-approval')).toContainText(change.serial);
    const t = await openTicket(bob.page, { title: 'My own access', assets: ['web-01'] });
    expect(t.steps.flatMap((s: any) => s.assignees.map((a: any) => a.username))).not.toContain('puppet');
    // bob cannot decide his change; the super admin rejects it on its page.
    await bob.page.goto(`/tickets/${change.ticket_id}`);
    await waitForHydration(bob.page);
    await expect(bob.page.getByTestId('policy-after')).toContainText(puppet.id);
    await expect(bob.page.getByRole('button', { name: 'Approve', exact: true })).toHaveCount(0);
    await admin.page.goto(`/tickets/${change.ticket_id}`);
    await waitForHydration(admin.page);
    await admin.page.getByRole('button', { name: 'Reject', exact: true }).click();
    await expect(admin.page.getByText('Rejected').first()).toBeVisible();
    const after = await (await bob.page.request.get(`/api/v1/flows/${dflt.id}/apply_asset`)).json();
    expect(after.flow).toEqual(flowBefore.flow);
    expect(after.pending_change).toBeNull();
  } finally {
    await bob.context.close();
    await admin.context.close();
  }
});

import { test, expect, Page } from '@playwright/test';
import { as, PASSWORD, waitForHydration } from './helpers';

/** Fills the sign-in form for `username` (the page goes wherever the server sends it). */
async function submitSignIn(page: Page, username: string, next: string) {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await waitForHydration(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a login ACL holds dave; admin approves elsewhere; dave goes on without a reload', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  const me = await (await admin.page.request.get('/api/v1/me')).json();
  const acl = await admin.page.request.post('/api/v1/acls/login', {
    data: {
      name: 'dave from this machine', priority: 1, users: { names: ['dave'] },
      ips: ['127.0.0.1'], action: 'review', reviewers: [me.id],
    },
  });
  expect(acl.status()).toBe(201);
  const aclId = (await acl.json()).id;
  const daveContext = await browser.newContext();
  try {
    const dave = await daveContext.newPage();

    // 1. Approved: dave waits, admin approves on the ticket page, dave is signed in.
    await submitSignIn(dave, 'dave', '/grants');
    await expect(dave).toHaveURL(/\/login\/wait\?next=%2Fgrants$/);
    await waitForHydration(dave);
    await expect(dave.getByTestId('wait-state')).toHaveText('Waiting for approval');
    await expect(dave.getByTestId('login-wait')).toContainText('dave from this machine');
    await expect(dave.getByTestId('login-wait')).toContainText('Ada Admin');
    const serial = (await dave.getByTestId('wait-serial').textContent())!.trim();
    // Not signed in while waiting.
    expect((await dave.request.get('/api/v1/me')).status()).toBe(401);
    // A reload would be noticed: this marker would vanish.
    await dave.evaluate(() => ((window as any).__stillHere = true));

    await admin.page.goto('/inbox');
    await waitForHydration(admin.page);
    await admin.page.getByRole('link', { name: 'Sign-in of dave from 127.0.0.1' }).first().click();
    await waitForHydration(admin.page);
    await expect(admin.page.getByText(serial)).toBeVisible();
    await expect(admin.page.getByTestId('login-request')).toContainText('127.0.0.1');
    expect(await dave.evaluate(() => (window as any).__stillHere)).toBe(true);
    await admin.page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(admin.page.locator('.badge.approved')).toBeVisible();

    // dave's page goes on by itself, to where he was going, signed in.
    await expect(dave).toHaveURL(/\/grants$/, { timeout: 10_000 });
    await expect(dave.getByTestId('user-name')).toHaveText(/Dave/);
    await dave.request.post('/api/v1/auth/logout');

    // 2. Rejected: the waiting page says so, with the reviewer's words.
    await submitSignIn(dave, 'dave', '/');
    await expect(dave.getByTestId('wait-state')).toHaveText('Waiting for approval');
    await waitForHydration(dave);
    const ticket = await pendingTicket(admin.page);
    const r = await admin.page.request.post(`/api/v1/tickets/${ticket}/reject`, { data: { comment: 'not today' } });
    expect(r.status()).toBe(200);
    await expect(dave.getByTestId('wait-state')).toHaveText('Sign-in refused', { timeout: 10_000 });
    await expect(dave.getByTestId('wait-reason')).toContainText('not today');
    expect((await dave.request.get('/api/v1/me')).status()).toBe(401);

    // 3. Reloading the waiting page keeps the request; leaving it withdraws the request.
    await submitSignIn(dave, 'dave', '/');
    await expect(dave.getByTestId('wait-state')).toHaveText('Waiting for approval');
    await waitForHydration(dave);
    const left = await pendingTicket(admin.page);
    const state = async () => (await (await admin.page.request.get(`/api/v1/tickets/${left}`)).json()).state;
    await dave.reload();
    await expect(dave.getByTestId('wait-state')).toHaveText('Waiting for approval');
    await expect(dave.getByTestId('wait-serial')).not.toBeEmpty();
    await waitForHydration(dave);
    // Past the server's five seconds of grace for a page that was left.
    await dave.waitForTimeout(6_500);
    expect(await state()).toBe('pending');
    await expect(dave.getByTestId('wait-state')).toHaveText('Waiting for approval');
    await dave.goto('/login');
    await expect.poll(state, { timeout: 15_000 }).toBe('closed');
  } finally {
    await admin.page.request.delete(`/api/v1/acls/login/${aclId}`);
    await daveContext.close();
    await admin.context.close();
  }
});

/** The id of the pending sign-in review waiting for the admin. */
async function pendingTicket(page: Page): Promise<string> {
  let id = '';
  await expect.poll(async () => {
    const list = await (await page.request.get('/api/v1/tickets?scope=assigned&state=pending&type=login_confirm')).json();
    id = list.items[0]?.id ?? '';
    return id;
  }).not.toBe('');
  return id;
}

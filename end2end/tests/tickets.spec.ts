import { test, expect } from '@playwright/test';
import { as, newPerson, openTicket, orgForAlice, waitForHydration } from './helpers';

test('alice applies, bob narrows and approves, carol approves, alice holds the grant', async ({ browser }) => {
  // Three people sign in and hydrate several pages: close to 30 s on a loaded 2-core machine.
  test.slow();
  // alice fills in the form in the browser.
  const alice = await as(browser, 'alice');
  await alice.page.getByRole('link', { name: 'My applications' }).click();
  await alice.page.getByRole('link', { name: '+ New request' }).click();
  await waitForHydration(alice.page);
  // The node tree counts in words: one asset under staging, several under prod.
  await expect(alice.page.locator('.tree-row', { hasText: 'staging' })).toContainText('1 asset');
  await expect(alice.page.locator('.tree-row', { hasText: 'staging' })).not.toContainText('1 assets');
  await expect(alice.page.locator('.tree-row', { hasText: 'prod' })).toContainText('4 assets');
  await alice.page.getByLabel('Title').fill('Fix the checkout outage');
  await alice.page.getByRole('checkbox', { name: 'web-01' }).check();
  await alice.page.getByRole('checkbox', { name: 'web-02' }).check();
  await expect(alice.page.getByTestId('chosen-assets')).toContainText('web-01');
  const accounts = alice.page.getByTestId('accounts');
  await accounts.getByText('root', { exact: true }).click();
  const actions = alice.page.getByTestId('actions');
  await actions.getByText('Upload', { exact: true }).click();
  await alice.page.getByLabel('Why do you need it?').fill('Customers cannot pay.');
  await alice.page.getByRole('button', { name: 'Submit request' }).click();
  await expect(alice.page).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  const ticketUrl = alice.page.url();
  await expect(alice.page.getByTestId('ticket-title')).toHaveText('Fix the checkout outage');
  await expect(alice.page.getByTestId('request-assets')).toContainText('web-02');
  await expect(alice.page.locator('.badge.pending')).toBeVisible();
  // The applicant may withdraw, not approve.
  await expect(alice.page.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await expect(alice.page.getByRole('button', { name: 'Withdraw request' })).toBeVisible();

  // bob (level 1) sees it waiting, removes web-02 and the upload action, approves.
  const bob = await as(browser, 'bob');
  await expect(bob.page.getByTestId('inbox-badge')).toHaveText(/[1-9]/);
  await bob.page.goto(ticketUrl);
  await waitForHydration(bob.page);
  await bob.page.getByRole('button', { name: 'Edit request' }).click();
  const editor = bob.page.getByTestId('inline-editor');
  await editor.getByRole('button', { name: 'Remove web-02' }).click();
  await editor.getByTestId('actions').getByText('Upload', { exact: true }).click();
  await bob.page.getByLabel('Comment (optional)').fill('web-01 is enough; read the logs only.');
  await bob.page.getByRole('button', { name: 'Approve with changes' }).click();
  await expect(bob.page.getByTestId('steps')).toContainText('Level 2');
  await expect(bob.page.getByTestId('diff')).toContainText('web-02');
  await expect(bob.page.getByTestId('request-assets')).not.toContainText('web-02');
  await expect(bob.page.getByRole('button', { name: 'Approve' })).toHaveCount(0);

  // carol (level 2, not a member of Default) approves.
  const carol = await as(browser, 'carol');
  await carol.page.goto('/inbox');
  await carol.page.getByRole('link', { name: 'Fix the checkout outage' }).click();
  await waitForHydration(carol.page);
  await expect(carol.page.getByTestId('request-actions')).toHaveText('connect');
  await carol.page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(carol.page.locator('.badge.approved')).toBeVisible();

  // alice sees it approved, the diff, and her grant.
  await alice.page.reload();
  await expect(alice.page.locator('.badge.approved')).toBeVisible();
  const diff = alice.page.getByTestId('diff').first();
  await expect(diff).toContainText('assets');
  await expect(diff).toContainText('web-01, web-02');
  await expect(alice.page.getByTestId('history')).toContainText('web-01 is enough');
  // The page says what the request became, until when, and where to find it.
  await expect(alice.page.getByTestId('granted')).toContainText('Access granted until');
  await alice.page.getByTestId('granted').getByRole('link', { name: 'see it under Grants' }).click();
  await expect(alice.page).toHaveURL(/\/grants$/);
  const grant = alice.page.getByTestId('grants').locator('tr', { hasText: 'Fix the checkout outage' });
  await expect(grant).toContainText('web-01');
  await expect(grant).not.toContainText('web-02');
  await expect(grant).toContainText('connect');
  await expect(grant).toContainText('active');

  for (const s of [alice, bob, carol]) await s.context.close();
});

test('alice withdraws a pending ticket', async ({ browser }) => {
  const alice = await as(browser, 'alice');
  const t = await openTicket(alice.page, { title: 'Staging poke', assets: ['stage-01'] });
  await alice.page.goto(`/tickets/${t.id}`);
  await waitForHydration(alice.page);
  await alice.page.getByRole('button', { name: 'Withdraw request' }).click();
  await expect(alice.page.locator('.badge.closed')).toHaveText('Withdrawn');
  // Nobody is waited for any more.
  await expect(alice.page.getByTestId('steps')).not.toContainText('waiting');
  await expect(alice.page.getByTestId('steps')).toContainText('no answer');
  await expect(alice.page.getByTestId('history')).toContainText('withdrew the request');
  await expect(alice.page.getByRole('button', { name: 'Withdraw request' })).toHaveCount(0);
  await alice.context.close();
});

test('bob and alice exchange comments', async ({ browser }) => {
  const alice = await as(browser, 'alice');
  const t = await openTicket(alice.page, { title: 'Database read access', assets: ['db-pg-01'], accounts: ['readonly'] });
  const bob = await as(browser, 'bob');
  await bob.page.goto(`/tickets/${t.id}`);
  await waitForHydration(bob.page);
  await bob.page.getByLabel('Comment', { exact: true }).fill('Which tables do you need?');
  await bob.page.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(bob.page.getByTestId('thread')).toContainText('Which tables do you need?');

  await alice.page.goto(`/tickets/${t.id}`);
  await waitForHydration(alice.page);
  await expect(alice.page.getByTestId('thread')).toContainText('Which tables do you need?');
  await alice.page.getByLabel('Comment', { exact: true }).fill('Only orders and invoices.');
  await alice.page.getByRole('button', { name: 'Comment', exact: true }).click();
  await expect(alice.page.getByTestId('thread')).toContainText('Only orders and invoices.');

  await bob.page.reload();
  await expect(bob.page.getByTestId('thread').locator('.msg')).toHaveCount(2);
  await alice.context.close();
  await bob.context.close();
});

test('bob bulk-rejects two tickets from his inbox', async ({ browser }) => {
  const dave = await as(browser, 'dave');
  await openTicket(dave.page, { title: 'Bulk one', assets: ['web-01'] });
  await openTicket(dave.page, { title: 'Bulk two', assets: ['web-02'] });
  const bob = await as(browser, 'bob');
  await bob.page.goto('/inbox?q=Bulk');
  await waitForHydration(bob.page);
  const table = bob.page.getByTestId('ticket-table');
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await bob.page.getByRole('checkbox', { name: 'Select all' }).check();
  await expect(bob.page.getByText('2 selected')).toBeVisible();
  await bob.page.getByRole('button', { name: 'Reject selected' }).click();
  await expect(bob.page.getByTestId('bulk-result')).toContainText('2 of 2 done');
  await expect(bob.page.getByText('Nothing waits for you')).toBeVisible();

  await bob.page.getByRole('tab', { name: 'Processed by me' }).click();
  await expect(bob.page.getByTestId('ticket-table')).toContainText('Bulk one');
  await expect(bob.page.getByTestId('ticket-table').locator('.badge.rejected')).toHaveCount(2);

  await dave.page.goto('/tickets?state=rejected&q=Bulk');
  await expect(dave.page.getByTestId('ticket-table').locator('tbody tr')).toHaveCount(2);
  await dave.context.close();
  await bob.context.close();
});

test('request again: the new-request page starts from a past ticket, dates from now', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  const gus = await newPerson(admin.page, 'gus', 'Gus Granter');
  await orgForAlice(admin.page, { org: 'Again Works', asset: 'again-01', levels: [{ selector: { users: [gus] }, rule: 'any' }] });
  const alice = await as(browser, 'alice');
  const past = await openTicket(alice.page, { title: 'Patch the kernel', org: 'Again Works', assets: ['again-01'], actions: ['connect', 'upload'], days: 2 });
  const g = await as(browser, 'gus');
  expect((await g.page.request.post(`/api/v1/tickets/${past.id}/approve`, { data: {} })).status()).toBe(200);

  // Its approver is not offered it; its applicant is, on the ended ticket (the same link as a
  // grant's ending notice).
  await g.page.goto(`/tickets/${past.id}`);
  await waitForHydration(g.page);
  await expect(g.page.getByTestId('ticket-title')).toHaveText('Patch the kernel');
  await expect(g.page.getByTestId('request-again')).toHaveCount(0);
  await alice.page.goto(`/tickets/${past.id}`);
  await waitForHydration(alice.page);
  await alice.page.getByTestId('request-again').click();
  await expect(alice.page).toHaveURL(new RegExp(`/tickets/new\\?again=${past.id}$`));
  await waitForHydration(alice.page);
  await expect(alice.page.getByLabel('Title')).toHaveValue('Patch the kernel');
  await expect(alice.page.getByTestId('chosen-assets')).toContainText('again-01');
  await alice.page.getByRole('button', { name: 'Submit request' }).click();
  await expect(alice.page).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  const id = alice.page.url().split('/').pop();
  expect(id).not.toBe(past.id);
  const again = (await (await alice.page.request.get(`/api/v1/tickets/${id}`)).json());
  expect(again.org_id).toBe(past.org_id);
  expect(again.request.assets).toEqual(past.request.assets);
  expect(again.request.accounts).toEqual(['root']);
  expect(again.request.actions).toEqual(past.request.actions);
  // The dates are the default period from now (seven days), not the past request's two.
  const days = (r: { start: string; expiry: string }) => (Date.parse(r.expiry) - Date.parse(r.start)) / 86400_000;
  expect(days(past.request)).toBe(2);
  expect(days(again.request)).toBe(7);
  for (const c of [admin, alice, g]) await c.context.close();
});

test('the menu follows the viewer’s side of a ticket: the applicant’s applications, the approver’s approvals', async ({ browser }) => {
  const alice = await as(browser, 'alice');
  const t = await openTicket(alice.page, { title: 'Whose menu', assets: ['web-02'] });
  const mine = (p: import('@playwright/test').Page) => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My applications' });
  const approvals = (p: import('@playwright/test').Page) => p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /^Approvals/ });
  await alice.page.goto(`/tickets/${t.id}`);
  await waitForHydration(alice.page);
  await expect(mine(alice.page)).toHaveAttribute('aria-current', 'page');
  await expect(approvals(alice.page)).not.toHaveAttribute('aria-current', 'page');
  const bob = await as(browser, 'bob');
  await bob.page.goto('/inbox');
  await waitForHydration(bob.page);
  await bob.page.getByRole('link', { name: 'Whose menu' }).click();
  await expect(bob.page.getByTestId('ticket-title')).toHaveText('Whose menu');
  await expect(approvals(bob.page)).toHaveAttribute('aria-current', 'page');
  await expect(mine(bob.page)).not.toHaveAttribute('aria-current', 'page');
  // Back on the list of his own, the menu says so again.
  await mine(bob.page).click();
  await expect(mine(bob.page)).toHaveAttribute('aria-current', 'page');
  // Withdrawn again, so other tests meet nothing of it.
  expect((await alice.page.request.post(`/api/v1/tickets/${t.id}/close`, { data: {} })).status()).toBe(200);
  for (const c of [alice, bob]) await c.context.close();
});

test('the approver of the last level revokes the access from the ticket page, with a reason', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  const vera = await newPerson(admin.page, 'vera', 'Vera Revoker');
  await orgForAlice(admin.page, {
    org: 'Revoke Works',
    asset: 'revoke-01',
    levels: [{ selector: { users: [vera] }, rule: 'any' }],
  });
  const alice = await as(browser, 'alice');
  const t = await openTicket(alice.page, { title: 'Access to take back', org: 'Revoke Works', assets: ['revoke-01'] });
  const v = await as(browser, 'vera');
  const approved = await v.page.request.post(`/api/v1/tickets/${t.id}/approve`, { data: {} });
  expect(approved.status()).toBe(200);

  await v.page.goto(`/tickets/${t.id}`);
  await waitForHydration(v.page);
  const granted = v.page.getByTestId('granted');
  await expect(granted).toContainText('Access granted until');
  await granted.getByRole('button', { name: 'Revoke' }).click();
  // Without a reason the browser asks for one; with it, the access ends at once.
  await granted.getByLabel('Reason to revoke').fill('The incident is over');
  await granted.getByRole('button', { name: 'Revoke access' }).click();
  await expect(granted).toContainText('Access revoked');
  await expect(granted.getByRole('button', { name: 'Revoke' })).toHaveCount(0);
  const history = v.page.getByTestId('history');
  await expect(history).toContainText('Vera Revoker (vera) revoked the access granted');
  await expect(history).toContainText('The incident is over');

  // Alice, who held it, sees it ended and is told why.
  await alice.page.goto(`/tickets/${t.id}`);
  await expect(alice.page.getByTestId('granted')).toContainText('Access revoked');
  await expect(alice.page.getByTestId('granted').getByRole('button', { name: 'Revoke' })).toHaveCount(0);
  await alice.page.goto('/notifications');
  await expect(alice.page.getByTestId('notification').first()).toContainText('was revoked');
  for (const c of [admin, alice, v]) await c.context.close();
});

test('an org admin saves a request template on the new-request page; picking it fills the form', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  const orgId = await orgForAlice(admin.page, {
    org: 'Template Works',
    asset: 'tpl-01',
    levels: [{ selector: { super_admins: true }, rule: 'any' }],
  });
  // Tamsin administers the org (alice stays a plain member everywhere: other tests count on it).
  const tamsin = await newPerson(admin.page, 'tamsin', 'Tamsin Templates');
  expect((await admin.page.request.put(`/api/v1/orgs/${orgId}/members`, { data: { user_id: tamsin, role: 'org_admin' } })).status()).toBe(200);

  const t = await as(browser, 'tamsin');
  const page = t.page;
  await page.goto('/tickets/new');
  await waitForHydration(page);
  await page.locator('#org').selectOption({ label: 'Template Works' });
  await expect(page.getByTestId('template')).toHaveCount(0);
  await page.getByRole('checkbox', { name: 'tpl-01' }).check();
  await page.getByTestId('accounts').getByText('root', { exact: true }).click();
  await page.getByLabel('Why do you need it?').fill('Which change ticket is this for?');
  await page.getByTestId('save-template').locator('summary').click();
  await page.getByLabel('Template name').fill('Template Works root');
  await page.getByRole('button', { name: 'Save template' }).click();
  await expect(page.getByTestId('save-template').getByRole('status')).toContainText('Saved as the template "Template Works root"');

  // A fresh form: picking the template fills what to reach, how, and the reason's hint.
  await page.goto('/tickets/new');
  await waitForHydration(page);
  await page.locator('#org').selectOption({ label: 'Template Works' });
  await page.getByLabel('Start from a template').selectOption({ label: 'Template Works root' });
  await expect(page.getByTestId('chosen-assets')).toContainText('tpl-01');
  await expect(page.getByLabel('Why do you need it?')).toHaveAttribute('placeholder', 'Which change ticket is this for?');
  await page.getByLabel('Title').fill('From a template');
  await page.getByLabel('Why do you need it?').fill('CHG-42');
  await page.getByRole('button', { name: 'Submit request' }).click();
  await expect(page).toHaveURL(/\/tickets\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId('request-assets')).toContainText('tpl-01');
  await expect(page.getByTestId('request-actions')).toContainText('connect');
  for (const c of [admin, t]) await c.context.close();
});

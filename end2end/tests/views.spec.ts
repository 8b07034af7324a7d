import { test, expect, Page } from '@playwright/test';
import { as, waitForHydration } from './helpers';

// What the Administration, Rules and Notifications pages send and show through their REST
// calls, beyond admin.spec.ts and acls.spec.ts: every write of the tabs, the rules' time
// windows, an org admin's proposed rule, invitations. Each test leaves nothing that other
// tests could meet (its own org, rules for nobody, changes undone).

async function tab(page: Page, path: string) {
  await page.goto(path);
  await waitForHydration(page);
}

test('admin tabs: an org renamed, a person changed in every way, the estate edited, all removed again', async ({ browser }) => {
  const n = Date.now() % 100000;
  const org = `Tmp ${n}`;
  const renamed = `Tmp ${n} b`;
  const user = `e2e-${n}`;
  const admin = await as(browser, 'admin');
  const page = admin.page;
  const status = page.getByRole('status');

  // Orgs: create and rename (a prompt).
  await tab(page, '/admin');
  await page.getByLabel('Name').fill(org);
  await page.getByRole('button', { name: 'Create org' }).click();
  await expect(status).toHaveText(`Org ${org} created.`);
  page.once('dialog', (d) => d.accept(renamed));
  await page.locator(`tr[data-org="${org}"]`).getByRole('button', { name: 'Rename' }).click();
  await expect(status).toHaveText(`Renamed to ${renamed}.`);
  await expect(page.locator(`tr[data-org="${renamed}"]`)).toBeVisible();

  // People: a person in the org as an auditor; role, password, activation; search.
  await tab(page, '/admin?tab=people');
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Display name').fill('Eve Tester');
  await page.getByLabel('Email').fill(`${user}@tollgate.example`);
  await page.getByLabel('Password').fill('a-good-password-1');
  await page.locator('#u-org').selectOption({ label: renamed });
  await page.locator('#u-org-role').selectOption({ label: 'Auditor' });
  await page.getByRole('button', { name: 'Create person' }).click();
  await expect(status).toHaveText(`User ${user} created.`);
  const row = page.locator(`tr[data-user="${user}"]`);
  await expect(row).toContainText(`${renamed} (Auditor)`);
  await expect(row).toContainText('User');
  await row.getByRole('button', { name: 'Make super admin' }).click();
  await expect(status).toHaveText('System role changed.');
  await expect(row).toContainText('Super admin');
  await row.getByRole('button', { name: 'Make user' }).click();
  await expect(row.getByRole('button', { name: 'Make super admin' })).toBeVisible();
  page.once('dialog', (d) => d.accept('another-password-2'));
  await row.getByRole('button', { name: 'Reset password' }).click();
  await expect(status).toHaveText('Password reset; their sessions ended.');
  // The people table is wider than its column: its last button lies under the New person
  // form beside it (at any width), so it is clicked by event rather than by pointer.
  await row.getByRole('button', { name: 'Deactivate' }).dispatchEvent('click');
  await expect(status).toHaveText(`${user} deactivated; their sessions ended.`);
  await expect(row).toContainText('inactive');
  await row.getByRole('button', { name: 'Activate' }).dispatchEvent('click');
  await expect(status).toHaveText(`${user} activated.`);
  await page.getByLabel('Search people').fill(user);
  await expect(page.getByTestId('people').locator('tbody tr')).toHaveCount(1);

  // Members: the person is there; remove them.
  await tab(page, '/admin');
  await page.locator(`tr[data-org="${renamed}"]`).getByRole('button', { name: 'Members' }).click();
  const members = page.getByTestId('members');
  const member = members.locator('tr').filter({ hasText: user });
  await expect(member).toContainText('Auditor');
  await member.getByRole('button', { name: 'Remove' }).click();
  await expect(status).toHaveText('Removed from the org.');
  await expect(member).toHaveCount(0);

  // Assets: the first org is chosen by itself; pick ours. A node renamed, an asset with a
  // platform (and the platform filter), an account; then each deleted.
  await tab(page, '/admin?tab=assets');
  const orgSelect = page.getByLabel('Org', { exact: true });
  await expect(orgSelect).not.toHaveValue('');
  await orgSelect.selectOption({ label: renamed });
  const tree = page.getByTestId('node-tree');
  await expect(tree).toContainText(renamed);
  await page.getByLabel('New node').fill('n1');
  await page.getByRole('button', { name: 'Add node' }).click();
  await expect(status).toHaveText('Node n1 created.');
  await tree.locator(`li[data-node="/${renamed}/n1"]`).getByRole('button', { name: 'edit' }).click();
  const edit = page.getByTestId('edit-node');
  await edit.getByLabel('Rename').fill('n2');
  await edit.getByRole('button', { name: 'Save node' }).click();
  await expect(status).toHaveText('Node saved.');
  const node = tree.locator(`li[data-node="/${renamed}/n2"]`);
  await expect(node).toBeVisible();
  await page.locator('#asset-name').fill(`db-${n}`);
  await page.locator('#asset-address').fill('db.example.com:5432');
  await page.locator('#asset-platform').selectOption('postgresql');
  await page.locator('#asset-node').selectOption({ label: `/${renamed}/n2` });
  await page.getByRole('button', { name: 'Create asset' }).click();
  await expect(status).toHaveText(`Asset db-${n} created.`);
  const asset = page.locator(`tr[data-asset="db-${n}"]`);
  await expect(asset).toContainText('postgresql');
  await expect(asset).toContainText(`/${renamed}/n2`);
  await page.locator('select[aria-label="Platform"]').selectOption('linux');
  await expect(asset).toHaveCount(0);
  await page.locator('select[aria-label="Platform"]').selectOption('postgresql');
  await expect(asset).toBeVisible();
  await asset.getByRole('button', { name: 'Accounts' }).click();
  const accounts = page.getByTestId('accounts');
  await accounts.getByLabel('Account name').fill('postgres');
  await accounts.getByRole('button', { name: 'Add account' }).click();
  await expect(status).toHaveText('Account postgres added.');
  await accounts.locator('tr[data-account="postgres"]').getByRole('button', { name: 'Delete' }).click();
  await expect(status).toHaveText('Account deleted.');
  await expect(accounts.locator('tr[data-account="postgres"]')).toHaveCount(0);
  await asset.getByRole('button', { name: 'Delete' }).click();
  await expect(status).toHaveText(`Asset db-${n} deleted.`);
  await expect(asset).toHaveCount(0);
  await node.getByRole('button', { name: 'delete' }).click();
  await expect(status).toHaveText('Node deleted.');
  await expect(node).toHaveCount(0);

  // The org, empty again, is deleted.
  await tab(page, '/admin');
  await page.locator(`tr[data-org="${renamed}"]`).getByRole('button', { name: 'Delete' }).click();
  await expect(status).toHaveText(`Org ${renamed} deleted.`);
  await expect(page.locator(`tr[data-org="${renamed}"]`)).toHaveCount(0);
  await admin.context.close();
});

test('admin tabs: settings saved as they were; a personal token made once and revoked', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  const page = admin.page;
  const status = page.getByRole('status');

  await tab(page, '/admin?tab=settings');
  const period = page.getByLabel('Default request period (days)');
  await expect(period).not.toHaveValue('');
  const before = await period.inputValue();
  const ttl = await page.locator('#ttl-apply').inputValue();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(status).toHaveText('Settings saved.');
  await tab(page, '/admin?tab=settings');
  await expect(period).toHaveValue(before);
  await expect(page.locator('#ttl-apply')).toHaveValue(ttl);

  const name = `e2e token ${Date.now() % 100000}`;
  await tab(page, '/admin?tab=tokens');
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Make token' }).click();
  await expect(status).toHaveText(`Token ${name} made.`);
  await expect(page.getByTestId('new-token')).toContainText('tgp_');
  const row = page.getByTestId('tokens').locator('tr').filter({ hasText: name });
  await expect(row).toContainText('never');
  await expect(row).toContainText('UTC');
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(status).toHaveText('Token revoked.');
  await expect(page.locator('tr').filter({ hasText: name })).toHaveCount(0);
  await admin.context.close();
});

test('a sign-in rule with time windows reads back in the list and its form; mistakes are named', async ({ browser }) => {
  const name = `E2E hours ${Date.now() % 100000}`;
  const admin = await as(browser, 'admin');
  const page = admin.page;
  await tab(page, '/acls');
  await page.getByTestId('new-rule').click();
  const form = page.getByTestId('rule-form');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Priority').fill('90');
  // Nobody is called that: the rule holds no one.
  await form.getByLabel('People').fill('id:1234, nobody-e2e-*');
  await form.getByLabel('From addresses').fill('10.0.0.0/8, 192.168.1.1');
  await form.getByLabel('Only at certain times').check();
  await form.getByLabel('Time zone').fill('Europe/Paris');
  await form.getByLabel('Mon').fill('08:00-12:00, 13:00-17:00');
  await form.getByLabel('Then').selectOption('accept');
  await page.getByTestId('save-rule').click();
  // Names and ids mixed: refused on the field, before anything is sent.
  await expect(form.getByRole('alert')).toHaveText('Write either names or id:… entries, not both.');
  await form.getByLabel('People').fill('nobody-e2e-*');
  await page.getByTestId('save-rule').click();
  await expect(page.getByRole('status')).toHaveText(`Created ${name}.`);
  const row = page.getByTestId('rule-row').filter({ hasText: name });
  await expect(row).toContainText(
    'nobody-e2e-* · from 10.0.0.0/8, 192.168.1.1 · Mon 08:00-12:00+13:00-17:00, Tue 09:00-18:00, ' +
      'Wed 09:00-18:00, Thu 09:00-18:00, Fri 09:00-18:00 (Europe/Paris)',
  );
  await expect(row.locator('.badge')).toHaveText('Allow');
  await expect(row.locator('td').first()).toHaveText('90');

  // The form reads it back; a bad range is the server's to refuse.
  await row.getByRole('button', { name: 'Edit' }).click();
  await expect(form.getByLabel('People')).toHaveValue('nobody-e2e-*');
  await expect(form.getByLabel('From addresses')).toHaveValue('10.0.0.0/8\n192.168.1.1');
  await expect(form.getByLabel('Only at certain times')).toBeChecked();
  await expect(form.getByLabel('Time zone')).toHaveValue('Europe/Paris');
  await expect(form.getByLabel('Mon')).toHaveValue('08:00-12:00, 13:00-17:00');
  await expect(form.getByLabel('Sat')).toHaveValue('');
  await form.getByLabel('Tue').fill('9-5');
  await page.getByTestId('save-rule').click();
  await expect(form.getByRole('alert')).toContainText('9-5');
  await form.getByLabel('Tue').fill('09:00-17:00');
  await form.getByLabel('Priority').fill('91');
  await page.getByTestId('save-rule').click();
  await expect(page.getByRole('status')).toHaveText(`Saved ${name}.`);
  await expect(row).toContainText('Tue 09:00-17:00');
  await expect(row.locator('td').first()).toHaveText('91');

  await row.getByRole('button', { name: 'Delete' }).click();
  await row.getByRole('button', { name: 'Really delete' }).click();
  await expect(page.getByRole('status')).toHaveText(`Deleted ${name}.`);
  await expect(row).toHaveCount(0);
  await admin.context.close();
});

test('an org admin’s connection rule waits for a super admin; the ticket is named', async ({ browser }) => {
  const name = `E2E proposed ${Date.now() % 100000}`;
  const bob = await as(browser, 'bob');
  const page = bob.page;
  await tab(page, '/acls?tab=login-asset');
  await page.getByTestId('new-rule').click();
  const form = page.getByTestId('rule-form');
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Org').selectOption({ label: 'Default' });
  await form.getByLabel('People').fill('nobody-e2e-*');
  await form.getByLabel('Assets').fill('web-*');
  await form.getByLabel('Then').selectOption('reject');
  await page.getByTestId('save-rule').click();
  await expect(page.getByRole('status')).toContainText(
    `${name} waits for a super admin's approval (ticket `,
  );
  const text = (await page.getByRole('status').textContent()) ?? '';
  const serial = /\(ticket ([^)]+)\)/.exec(text)![1];
  await expect(page.getByTestId('rule-row').filter({ hasText: name })).toHaveCount(0);

  // The super admin refuses it: nothing is left.
  const mine = await (await page.request.get('/api/v1/tickets?scope=mine&type=policy_change&state=pending')).json();
  const ticket = mine.items.find((t: any) => t.serial === serial);
  expect(ticket).toBeTruthy();
  const admin = await as(browser, 'admin');
  expect((await admin.page.request.post(`/api/v1/tickets/${ticket.id}/reject`, { data: {} })).status()).toBe(200);
  await admin.context.close();
  await bob.context.close();
});

test('invitations: carol accepts hers on Notifications, dave declines his', async ({ browser }) => {
  const org = `Inv ${Date.now() % 100000}`;
  const admin = await as(browser, 'admin');
  const made = await admin.page.request.post('/api/v1/orgs', { data: { name: org } });
  expect(made.status()).toBe(201);
  const orgId = (await made.json()).id;
  const people = await (await admin.page.request.get('/api/v1/users?q=')).json();
  const id = (u: string) => people.items.find((p: any) => p.username === u).id;
  // bob runs the org; strangers he adds are only invited.
  expect((await admin.page.request.put(`/api/v1/orgs/${orgId}/members`, {
    data: { user_id: id('bob'), role: 'org_admin' },
  })).status()).toBe(200);
  await admin.context.close();
  const bob = await as(browser, 'bob');
  for (const [u, role] of [['carol', 'org_user'], ['dave', 'org_auditor']]) {
    expect((await bob.page.request.put(`/api/v1/orgs/${orgId}/members`, {
      data: { user_id: id(u), role },
    })).status()).toBe(200);
  }
  await tab(bob.page, '/admin');
  await bob.page.locator(`tr[data-org="${org}"]`).getByRole('button', { name: 'Members' }).click();
  await expect(bob.page.getByTestId('members').getByTestId('invited')).toHaveCount(2);
  await bob.context.close();

  const carol = await as(browser, 'carol');
  await tab(carol.page, '/notifications');
  const invitations = carol.page.getByTestId('invitations');
  await expect(invitations).toContainText(`Bob Builder (bob) invites you to ${org} (member)`);
  await invitations.getByRole('button', { name: 'Accept' }).click();
  await expect(invitations).toHaveCount(0);
  const carolOrgs = await (await carol.page.request.get('/api/v1/orgs')).json();
  expect(carolOrgs.items.map((o: any) => o.name)).toContain(org);
  await carol.context.close();

  const dave = await as(browser, 'dave');
  await tab(dave.page, '/notifications');
  const daves = dave.page.getByTestId('invitations');
  await expect(daves).toContainText(`Bob Builder (bob) invites you to ${org} (auditor)`);
  await daves.getByRole('button', { name: 'Decline' }).click();
  await expect(daves).toHaveCount(0);
  const daveOrgs = await (await dave.page.request.get('/api/v1/orgs')).json();
  expect(daveOrgs.items.map((o: any) => o.name)).not.toContain(org);
  await dave.context.close();
});

test('the admin page offers each person only what they may use', async ({ browser }) => {
  const tabsOf = async (page: import('@playwright/test').Page) => {
    await page.goto('/admin');
    await waitForHydration(page);
    await expect(page.getByTestId('orgs')).toBeVisible();
    return page.getByRole('tab').allTextContents();
  };
  // A plain member: their orgs, read only, and their API tokens.
  const alice = await as(browser, 'alice');
  expect(await tabsOf(alice.page)).toEqual(['Orgs', 'Tokens']);
  const aliceRow = alice.page.locator('[data-org="Default"]');
  await expect(aliceRow).toBeVisible();
  await expect(aliceRow.getByRole('button')).toHaveCount(0);
  await expect(alice.page.getByRole('button', { name: 'Create org' })).toHaveCount(0);
  // An org admin: people, estate and imports too; renames and sees the members of their org,
  // creates and deletes none.
  const bob = await as(browser, 'bob');
  expect(await tabsOf(bob.page)).toEqual(['Orgs', 'People', 'Assets', 'Import', 'Tokens']);
  const bobRow = bob.page.locator('[data-org="Default"]');
  await expect(bobRow.getByRole('button', { name: 'Members' })).toBeVisible();
  await expect(bobRow.getByRole('button', { name: 'Rename' })).toBeVisible();
  await expect(bobRow.getByRole('button', { name: 'Delete' })).toHaveCount(0);
  await expect(bob.page.getByRole('button', { name: 'Create org' })).toHaveCount(0);
  // A super admin: everything.
  const admin = await as(browser, 'admin');
  expect(await tabsOf(admin.page)).toEqual(['Orgs', 'People', 'Assets', 'Import', 'Settings', 'Tokens', 'Webhooks', 'Sign-in']);
  await expect(admin.page.locator('[data-org="Default"]').getByRole('button', { name: 'Delete' })).toBeVisible();
  await expect(admin.page.getByRole('button', { name: 'Create org' })).toBeVisible();
  for (const c of [alice, bob, admin]) await c.context.close();
});

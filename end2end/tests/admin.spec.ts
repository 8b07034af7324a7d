import { test, expect } from '@playwright/test';
import { as, openTicket, waitForHydration } from './helpers';

test('admin builds an org with a node, an asset and two accounts; dave applies for it', async ({ browser }) => {
  const org = `Acme ${Date.now() % 100000}`;
  const admin = await as(browser, 'admin');
  await admin.page.getByRole('link', { name: 'Admin' }).click();
  await waitForHydration(admin.page);

  // Orgs: create, then make dave a member.
  await admin.page.getByLabel('Name').fill(org);
  await admin.page.getByRole('button', { name: 'Create org' }).click();
  await expect(admin.page.getByRole('status')).toContainText(`Org ${org} created.`);
  const row = admin.page.locator(`tr[data-org="${org}"]`);
  await row.getByRole('button', { name: 'Members' }).click();
  const members = admin.page.getByTestId('members');
  await members.getByLabel('Person').selectOption({ label: 'Dave Lister (dave)' });
  await members.getByRole('button', { name: 'Add or change' }).click();
  await expect(members).toContainText('dave');

  // Assets: a node, an asset under it, two accounts.
  await admin.page.getByRole('tab', { name: 'Assets' }).click();
  await waitForHydration(admin.page);
  await admin.page.getByLabel('Org', { exact: true }).selectOption({ label: org });
  await expect(admin.page.getByTestId('node-tree')).toContainText(org);
  await admin.page.getByLabel('New node').fill('prod');
  await admin.page.getByRole('button', { name: 'Add node' }).click();
  await expect(admin.page.getByTestId('node-tree')).toContainText('prod');
  await admin.page.locator('#asset-name').fill('acme-web');
  await admin.page.locator('#asset-address').fill('10.20.0.1');
  await admin.page.locator('#asset-platform').selectOption('linux');
  await admin.page.locator('#asset-node').selectOption({ label: `/${org}/prod` });
  await admin.page.getByRole('button', { name: 'Create asset' }).click();
  const asset = admin.page.locator('tr[data-asset="acme-web"]');
  await expect(asset).toContainText(`/${org}/prod`);
  await asset.getByRole('button', { name: 'Accounts' }).click();
  const accounts = admin.page.getByTestId('accounts');
  for (const [name, login] of [['root', ''], ['deploy', 'deployer']]) {
    await accounts.getByLabel('Account name').fill(name);
    await accounts.getByLabel('Username').fill(login);
    await accounts.getByRole('button', { name: 'Add account' }).click();
    await expect(accounts.locator(`tr[data-account="${name}"]`)).toBeVisible();
  }
  await expect(accounts.locator('tbody tr')).toHaveCount(2);

  // dave, now a member, applies for the new asset.
  const dave = await as(browser, 'dave');
  const t = await openTicket(dave.page, { title: 'Deploy acme', org, assets: ['acme-web'], accounts: ['deploy'] });
  await dave.page.goto(`/tickets/${t.id}`);
  await expect(dave.page.getByTestId('request-assets')).toContainText('acme-web');
});

test('an import of a small CSV shows its report, and a bad one names the row', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  await admin.page.goto('/admin?tab=import');
  await waitForHydration(admin.page);
  const text = admin.page.getByLabel('CSV (with a header row) or JSON rows');
  await text.fill('path,asset,address,platform,account,username\n/Default/imported,imp-1,10.30.0.1,linux,root,\n/Default/imported,imp-2,10.30.0.2,beos,root,\n');
  await admin.page.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(admin.page.getByRole('alert')).toContainText('Row 2');
  await expect(admin.page.getByTestId('refused')).toContainText('platform');
  await text.fill('path,asset,address,platform,account,username\n/Default/imported,imp-1,10.30.0.1,linux,root,\n/Default/imported,imp-2,10.30.0.2,postgresql,postgres,\n');
  await admin.page.getByRole('button', { name: 'Import', exact: true }).click();
  const report = admin.page.getByTestId('import-report');
  await expect(report).toContainText('/Default/imported');
  await expect(report).toContainText('imp-1, imp-2');
  await expect(report).toContainText('imp-2/postgres');
});

test('a revoked grant disappears from grants/check', async ({ browser }) => {
  const alice = await as(browser, 'alice');
  const t = await openTicket(alice.page, { title: `Grant to revoke ${Date.now()}`, assets: ['stage-01'] });
  const bob = await as(browser, 'bob');
  expect((await bob.page.request.post(`/api/v1/tickets/${t.id}/approve`, { data: {} })).status()).toBe(200);
  const carol = await as(browser, 'carol');
  expect((await carol.page.request.post(`/api/v1/tickets/${t.id}/approve`, { data: {} })).status()).toBe(200);
  const asset = t.assets[0].id;
  const check = `/api/v1/grants/check?user=${t.applicant.id}&asset=${asset}&account=root&action=connect`;
  const admin = await as(browser, 'admin');
  const before = await (await admin.page.request.get(check)).json();
  expect(before.allowed).toBe(true);
  expect(before.grant_id).toBe(t.id);

  await admin.page.goto('/grants');
  await waitForHydration(admin.page);
  const row = admin.page.locator(`tr[data-grant="${t.id}"]`);
  await row.getByRole('button', { name: 'Revoke' }).click();
  await row.getByLabel('Reason to revoke').fill('Audit found it too broad');
  await row.getByRole('button', { name: 'Revoke access' }).click();
  await expect(row).toContainText('revoked');
  // The filters: by status and by search.
  await admin.page.getByLabel('Status').selectOption('active');
  await expect(row).toHaveCount(0);
  await admin.page.getByLabel('Status').selectOption('revoked');
  await expect(row).toBeVisible();
  await admin.page.getByLabel('Search grants').fill('no such person');
  await expect(row).toHaveCount(0);
  // Other tests may have left alice another live grant for the same asset: this one is gone.
  const after = await (await admin.page.request.get(check)).json();
  expect(after.grant_id).not.toBe(t.id);
});

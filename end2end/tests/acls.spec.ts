import { test, expect } from '@playwright/test';
import { as, waitForHydration } from './helpers';

test('admin writes a command rule and a gateway token on the Rules page; alice has no Rules', async ({ browser }) => {
  const admin = await as(browser, 'admin');
  const page = admin.page;
  await page.getByRole('link', { name: 'Rules' }).click();
  await expect(page).toHaveURL(/\/acls$/);
  await page.getByRole('tab', { name: 'Commands' }).click();
  await waitForHydration(page);
  await page.getByTestId('new-rule').click();
  const form = page.getByTestId('rule-form');
  await form.getByLabel('Name').fill('No reboots on web');
  await form.getByLabel('Priority').fill('7');
  await form.getByLabel('Org').selectOption({ label: 'Default' });
  await form.getByLabel('Assets').fill('web-*');
  await form.getByLabel('Commands (one per line)').fill('reboot\nshutdown');
  await form.getByLabel('Then').selectOption('review');
  // Review without a reviewer is refused, on the field.
  await page.getByTestId('save-rule').click();
  await expect(form.getByRole('alert')).toContainText(/reviewer/i);
  await form.getByLabel('Add a reviewer').fill('car');
  await form.getByRole('button', { name: /Carol Danvers/ }).click();
  // Her decisions on these reviews will need a fresh second factor.
  await form.getByLabel('Approving or rejecting a review asks for a fresh second factor').check();
  await page.getByTestId('save-rule').click();
  await expect(page.getByRole('status')).toHaveText('Created No reboots on web.');
  const row = page.getByTestId('rule-row').filter({ hasText: 'No reboots on web' });
  await expect(row).toContainText('web-* as any account · reboot, shutdown');
  await expect(row).toContainText('Carol Danvers');
  await expect(row.locator('.badge')).toHaveText(['Review', 'second factor']);

  // It is live: a gateway asking about `reboot` on web-01 is held for carol.
  const rules = await (await page.request.get('/api/v1/acls/command-filter')).json();
  const rule = rules.items.find((r: any) => r.name === 'No reboots on web');
  expect(rule.priority).toBe(7);
  expect(rule.command_groups[0].patterns).toEqual(['reboot', 'shutdown']);
  expect(rule.step_up).toBe(true);

  // Edit: the form reads the second factor back; switch the rule off.
  await row.getByRole('button', { name: 'Edit' }).click();
  await expect(form.getByLabel('Approving or rejecting a review asks for a fresh second factor')).toBeChecked();
  await form.getByLabel('This rule is on').uncheck();
  await page.getByTestId('save-rule').click();
  await expect(page.getByRole('status')).toHaveText('Saved No reboots on web.');
  await expect(row).toContainText('(off)');

  // A gateway token is shown once.
  await page.getByRole('tab', { name: 'Gateways' }).click();
  await waitForHydration(page);
  await page.getByLabel('Gateway name').fill('bastion-e2e');
  // It serves the orgs ticked; none ticked is refused.
  await page.getByTestId('create-gateway-token').click();
  await expect(page.getByRole('alert')).toContainText(/org/i);
  await page.getByTestId('gateway-token-orgs').getByLabel('Default').check();
  await page.getByTestId('create-gateway-token').click();
  await expect(page.getByTestId('new-gateway-token')).toContainText('tgs_');
  const tokenRow = page.locator('table tr').filter({ hasText: 'bastion-e2e' });
  await expect(tokenRow).toContainText('Default');

  // Clean up: delete the rule (two clicks).
  await page.getByRole('tab', { name: 'Commands' }).click();
  await waitForHydration(page);
  const again = page.getByTestId('rule-row').filter({ hasText: 'No reboots on web' });
  await again.getByRole('button', { name: 'Delete' }).click();
  await again.getByRole('button', { name: 'Really delete' }).click();
  await expect(page.getByRole('status')).toHaveText('Deleted No reboots on web.');
  await expect(page.getByTestId('rule-row').filter({ hasText: 'No reboots on web' })).toHaveCount(0);
  await admin.context.close();

  const alice = await as(browser, 'alice');
  await expect(alice.page.getByRole('link', { name: 'Rules' })).toHaveCount(0);
  await alice.context.close();
});

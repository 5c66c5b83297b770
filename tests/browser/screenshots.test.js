// Screenshots of the pages people see first, on a desktop and on a phone, made by the
// same browser as every other flow. `PARLEY_SCREENSHOTS=docs/screenshots
// tests/browser/run.sh screenshots.test.js` writes the ones README.md shows; otherwise
// they go to a scratch folder, so the flow still runs (and is checked) every time.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setup } = require('./lib/browser');
const { askQuestion, reply } = require('./lib/forum');

const { flow } = setup();
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

const out = process.env.PARLEY_SCREENSHOTS
  ? path.resolve(__dirname, '../..', process.env.PARLEY_SCREENSHOTS)
  : fs.mkdtempSync(path.join(os.tmpdir(), 'parley-shots-'));

async function shoot(run, page, name) {
  await run.checkPage(page);
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await page.setViewportSize(viewport);
    // Loaded again at this size, as a phone would load it (the header folds on load).
    await page.reload();
    const file = path.join(out, `${name}-${size}.png`);
    await page.screenshot({ path: file, fullPage: false });
    assert.ok(fs.statSync(file).size > 1000, `${file} holds a picture`);
  }
  await page.setViewportSize(DESKTOP);
}

flow('screenshots of the home page, a topic, a ticket as customer and as staff, and the status page', async (run) => {
  fs.mkdirSync(out, { recursive: true });
  const alice = await run.open('alice');
  const bob = await run.open('bob');
  const title = 'Exports stop at 40% with "timeout waiting for worker"';
  const topic = await askQuestion(run, alice, {
    title,
    body: 'Since the upgrade to 4.2 the nightly export stops at 40% with `timeout waiting for worker`. The log says nothing else. Has anyone seen this?',
  });
  await run.goto(bob, topic);
  await reply(run, bob, 'Yes: raise export.worker_timeout to 120 s in parley.toml; 4.2 lowered the default to 30 s.');

  await run.goto(alice, '/');
  await shoot(run, alice, 'home');
  await run.goto(alice, topic);
  await shoot(run, alice, 'topic');

  await run.goto(alice, '/portal/tickets/new');
  await alice.getByRole('radio', { name: /^High\b/ }).check();
  await alice.getByLabel('Subject').fill('Nightly export fails after the 4.2 upgrade');
  await alice.getByLabel('Description').fill('The export has stopped at 40% every night since Tuesday. Raising the worker timeout helped once, then it failed again.');
  await run.clickAndWait(alice, alice.getByRole('button', { name: 'Submit', exact: true }));
  const ticket = new URL(alice.url()).pathname;
  assert.match(ticket, /^\/portal\/tickets\/\d+$/, 'the ticket page opens');

  const staff = await run.open('staff');
  await run.goto(staff, ticket);
  await staff.getByRole('textbox', { name: 'Note' }).fill('Thanks. Could you attach the export log from last night? It is under `data/logs/export.log`.');
  await run.clickAndWait(staff, staff.getByRole('button', { name: 'Add note' }));
  await staff.getByRole('textbox', { name: 'Note' }).fill('Same stack as the 4.2 worker pool regression; check their pool size before answering.');
  await staff.getByRole('radio', { name: /^Internal/ }).check();
  await run.clickAndWait(staff, staff.getByRole('button', { name: 'Add note' }));
  await shoot(run, staff, 'ticket-staff');
  await run.goto(alice, ticket);
  await shoot(run, alice, 'ticket-customer');

  const anonymous = await run.open(null);
  await run.goto(anonymous, '/status');
  await shoot(run, anonymous, 'status');
});

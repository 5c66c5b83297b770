'use strict';
// Details of flows the other files pass through: attaching a file to a reply (with and
// without JavaScript), which of his own posts a member may delete, what a person at a new
// company is told after signing up, the ticket list tabs, and the status banner's colour.

const assert = require('node:assert/strict');
const { setup } = require('./lib/browser');
const { Mailbox } = require('./lib/mail');
const { unique } = require('./lib/util');
const { askQuestion, openTopic, reply, post, assertMain } = require('./lib/forum');

const { flow, phonePass } = setup();

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// 1. Attaching a file to a reply keeps the draft and adds the file's markdown.
async function attachToReply(run, { js }) {
  const tag = unique();
  const bob = await run.open('bob', { js });
  const title = `Where do the importer logs go ${tag}?`;
  await askQuestion(run, bob, { title, body: 'The importer failed overnight; which log file should we send?' });

  const alice = await run.open('alice', { js });
  await openTopic(run, alice, 'Questions & Answers', title);
  const draft = `Ours wrote this log when it failed the same way (${tag}).`;
  const name = `importer-${tag}.txt`;
  const box = alice.getByRole('textbox', { name: 'Reply' });
  await box.click();
  await box.pressSequentially(draft, { delay: 5 });
  await alice.getByLabel('Attach an image or file').setInputFiles({
    name,
    mimeType: 'text/plain',
    buffer: Buffer.from(`2026-12-01T03:00:00Z ERROR importer: lock file present (${tag})\n`),
  });
  const link = new RegExp(`\\[${escapeRe(name)}\\]\\(/files/[^)\\s]+\\)`);
  const attach = alice.getByRole('button', { name: 'Attach', exact: true });

  if (js) {
    const before = alice.url();
    await alice.evaluate(() => {
      window.sameDocument = true;
    });
    await attach.click();
    await alice.waitForFunction(() => /\]\(\/files\//.test(document.getElementById('body').value), null, { timeout: 15000 })
      .catch(() => {});
    const value = await box.inputValue();
    assert.match(value, link, `with JavaScript, Attach puts "[${name}](/files/...)" in the reply box; it holds:\n${value}`);
    assert.ok(value.includes(draft), `with JavaScript, the typed draft stays in the reply box; it holds:\n${value}`);
    assert.ok(value.indexOf(draft) < value.search(link), `the file's markdown comes after the draft typed before it; the box holds:\n${value}`);
    assert.equal(alice.url(), before, 'with JavaScript, attaching does not change the address');
    assert.equal(await alice.evaluate(() => window.sameDocument === true), true, 'with JavaScript, attaching does not load a new page');
    await run.checkPage(alice);
  } else {
    await run.clickAndWait(alice, attach);
    await run.checkPage(alice);
    const url = alice.url();
    assert.ok(!/csrf_token/i.test(url), `after Attach the address carries no csrf_token; it is ${url}`);
    const value = await alice.getByRole('textbox', { name: 'Reply' }).inputValue();
    assert.ok(value.startsWith(draft), `after Attach the reply box still starts with the typed draft; it holds:\n${value}`);
    assert.match(value.slice(draft.length), link, `after Attach the draft is followed by "[${name}](/files/...)"; the box holds:\n${value}`);
    const errors = await alice.locator('#reply .field-errors').allInnerTexts();
    assert.equal(errors.join(' ').trim(), '', `attaching shows no error; it says: ${errors.join(' ')}`);
  }

  await run.clickAndWait(alice, alice.getByRole('button', { name: 'Post', exact: true }));
  await run.checkPage(alice);
  const posted = post(alice, draft).first();
  await posted.waitFor();
  const a = posted.getByRole('link', { name, exact: true });
  assert.ok(await a.count(), `the posted reply shows the link "${name}"; it says:\n${await posted.innerText()}`);
  const href = await a.first().getAttribute('href');
  assert.match(href, new RegExp(`^/files/[^/]+/${escapeRe(name)}$`), `the link points at the stored file, not ${href}`);
}

flow('attach a file to a reply with JavaScript: the markdown goes into the draft without a reload', (run) =>
  attachToReply(run, { js: true }));
flow('attach a file to a reply with JavaScript off: the page comes back with the draft and the link', (run) =>
  attachToReply(run, { js: false }));

// 2. A member may edit his question, but delete it only while nobody has answered.
flow('an asker can delete his question only while it has no replies', async (run) => {
  const tag = unique();
  const bob = await run.open('bob');
  const answeredBody = `Does the scheduler honour daylight saving time (${tag})?`;
  const answered = `Scheduler and daylight saving time ${tag}`;
  await askQuestion(run, bob, { title: answered, body: answeredBody });

  const alice = await run.open('alice');
  await openTopic(run, alice, 'Questions & Answers', answered);
  await reply(run, alice, `Yes, jobs run at local wall-clock time since 4.1 (${tag}).`);

  await openTopic(run, bob, 'Questions & Answers', answered);
  const opening = post(bob, answeredBody).first();
  await opening.waitFor();
  assert.ok(await opening.getByRole('link', { name: 'Edit', exact: true }).count(), 'the asker sees "Edit" on his answered question');
  assert.equal(
    await opening.getByRole('button', { name: 'Delete', exact: true }).count(),
    0,
    'the asker sees no "Delete" on a question that has a reply',
  );

  const loneBody = `Can one export include archived projects (${tag})?`;
  const lone = `Exporting archived projects ${tag}`;
  await askQuestion(run, bob, { title: lone, body: loneBody });
  await openTopic(run, bob, 'Questions & Answers', lone);
  const own = post(bob, loneBody).first();
  await own.waitFor();
  assert.ok(await own.getByRole('link', { name: 'Edit', exact: true }).count(), 'the asker sees "Edit" on his unanswered question');
  assert.ok(await own.getByRole('button', { name: 'Delete', exact: true }).count(), 'the asker sees "Delete" on a question without replies');
});

// 3. Signing up from a company new to the site: what the pages say agrees.
async function signupNewCompany(run, { js }) {
  const tag = unique();
  const page = await run.open(null, { js });
  await run.goto(page, '/login');
  await run.clickAndWait(page, page.getByRole('banner').getByRole('link', { name: 'Sign up' }));
  await run.checkPage(page);
  const email = `someone.${tag}@newco-${tag}.test`;
  const role = `newco-${js ? 'js' : 'nojs'}`;
  const account = { email, password: `purple otter ${tag} lamp`, name: `Noa ${tag}` };
  const before = run.mail.mark();
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel('Your name').fill(account.name);
  await page.getByLabel('Password').fill(account.password);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Sign up' }));
  await run.checkPage(page);
  run.suite.remember(role, account);
  run.actAs(page, role);

  const says = async (when) => {
    const text = await page.locator('body').innerText();
    assert.ok(!/read but not post/i.test(text), `${when}, no text says "you can read but not post"; the page at ${new URL(page.url()).pathname} says:\n${text.slice(0, 1500)}`);
    return text;
  };
  const text = await says('after signing up from a new company');
  assert.match(text, /approv/i, `after signing up from a new company the page says the company must be approved; it says:\n${text.slice(0, 1500)}`);
  await assertMain(page, /we sent a link to your address/i, 'signing up says a confirmation link was mailed');

  const confirm = await run.mail.waitFor({ to: email, subject: /confirm your address/i, after: before });
  await page.goto(Mailbox.link(confirm, '/verify'));
  await run.checkPage(page);
  const after = await says('after confirming the address');
  assert.match(after, /approv/i, `after confirming, the page still says the company awaits approval; it says:\n${after.slice(0, 1500)}`);
}

flow('sign up from a new company: the pages agree that reading waits for approval', (run) =>
  signupNewCompany(run, { js: true }));
flow('sign up from a new company with JavaScript off', (run) => signupNewCompany(run, { js: false }));

// 4. The ticket list tabs name the list shown and mark the current tab.
flow('staff switch between the Current and Closed ticket lists', async (run) => {
  const page = await run.open('staff');
  await run.goto(page, '/');
  await run.clickAndWait(page, page.getByRole('banner').getByRole('link', { name: 'Support', exact: true }));
  await run.checkPage(page);
  await run.clickAndWait(page, page.getByRole('main').getByRole('link', { name: 'Tickets', exact: true }).first());
  await run.checkPage(page);
  const tabs = page.getByRole('navigation', { name: 'Ticket lists' });

  await run.clickAndWait(page, tabs.getByRole('link', { name: 'Closed', exact: true }));
  await run.checkPage(page);
  await page.getByRole('heading', { level: 1, name: 'Closed tickets', exact: true }).waitFor();
  assert.equal(await tabs.getByRole('link', { name: 'Closed', exact: true }).getAttribute('aria-current'), 'page', 'the Closed tab is marked current');
  assert.equal(await tabs.getByRole('link', { name: 'Current', exact: true }).getAttribute('aria-current'), null, 'the Current tab is not marked current on the Closed list');

  await run.clickAndWait(page, tabs.getByRole('link', { name: 'Current', exact: true }));
  await run.checkPage(page);
  await page.getByRole('heading', { level: 1, name: 'Current tickets', exact: true }).waitFor();
  assert.equal(await tabs.getByRole('link', { name: 'Current', exact: true }).getAttribute('aria-current'), 'page', 'the Current tab is marked current');
  assert.equal(await tabs.getByRole('link', { name: 'Closed', exact: true }).getAttribute('aria-current'), null, 'the Closed tab is not marked current on the Current list');
});

// 5. The status page's overall banner takes the colour of the worst impact.
function rgb(css) {
  const m = css.match(/rgba?\(\s*(\d+(?:\.\d+)?)[,\s]+(\d+(?:\.\d+)?)[,\s]+(\d+(?:\.\d+)?)/);
  assert.ok(m, `a colour in rgb() form, not ${css}`);
  return { r: Number(m[1]), g: Number(m[2]), b: Number(m[3]) };
}

async function statusBanner(run, { js }) {
  const tag = unique();
  const title = `Sign-in fails for every customer ${tag}`;
  const staff = await run.open('staff', { js });
  await run.goto(staff, '/');
  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: 'Report incident', exact: true }));
  await run.checkPage(staff);
  await staff.getByLabel('Title').fill(title);
  await staff.getByRole('combobox', { name: 'Kind' }).selectOption({ label: 'Incident' });
  await staff.getByRole('combobox', { name: 'Impact' }).selectOption({ label: 'Major outage' });
  await staff.getByRole('checkbox', { name: 'API' }).check();
  await staff.getByLabel('What is happening').fill('Nobody can sign in; we are investigating.');
  await run.clickAndWait(staff, staff.getByRole('button', { name: 'Publish' }));
  await run.checkPage(staff);

  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: 'Status', exact: true }));
  await run.checkPage(staff);
  await staff.getByRole('heading', { name: title }).waitFor();
  const banner = staff.getByRole('main').locator('p.banner[class*="severity-"]').first();
  const cls = await banner.getAttribute('class');
  assert.ok(cls.split(/\s+/).includes('severity-major_outage'), `during a major outage the overall banner has class severity-major_outage; it has "${cls}" and says "${await banner.innerText()}"`);
  const bg = await banner.evaluate((el) => getComputedStyle(el).backgroundColor);
  const { r, g } = rgb(bg);
  assert.ok(r > g, `during a major outage the banner is red-ish: red ${r} > green ${g} (background ${bg})`);

  // Resolving the incident brings the banner back to operational.
  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: 'Report incident', exact: true }));
  await run.checkPage(staff);
  const card = staff.locator('section', { has: staff.getByRole('heading', { name: title }) });
  await card.getByRole('combobox', { name: 'New state' }).selectOption({ label: 'Resolved' });
  await card.getByRole('textbox', { name: 'Update' }).fill('Sign-in works again for everyone.');
  await run.clickAndWait(staff, card.getByRole('button', { name: 'Post the update' }));
  await run.checkPage(staff);

  await run.clickAndWait(staff, staff.getByRole('banner').getByRole('link', { name: 'Status', exact: true }));
  await run.checkPage(staff);
  const now = staff.getByRole('main').locator('p.banner[class*="severity-"]').first();
  const said = (await now.innerText()).trim();
  assert.match(said, /all systems operational/i, `after resolving, the banner says all systems are operational; it says "${said}"`);
  const nowCls = await now.getAttribute('class');
  assert.ok(nowCls.split(/\s+/).includes('severity-operational'), `after resolving, the banner has class severity-operational, not "${nowCls}"`);
}

flow('a major outage turns the status banner red, and resolving it makes it operational', (run) =>
  statusBanner(run, { js: true }));
flow('the status banner follows a major outage and its resolution with JavaScript off', (run) =>
  statusBanner(run, { js: false }));

phonePass();

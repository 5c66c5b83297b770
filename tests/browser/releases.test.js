'use strict';
// Releases: staff post one with an uploaded download and a link download; a customer
// finds it and downloads the file.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { setup } = require('./lib/browser');
const { unique } = require('./lib/util');
const { openCategory, openTopic } = require('./lib/forum');

const { flow, phonePass } = setup();

async function postRelease(run, { js }) {
  const tag = unique();
  const version = `4.3.${parseInt(tag.slice(0, 4), 16)}`;
  const title = `Widget ${version}`;
  const tarball = Buffer.from(`widget ${version} (${tag})\n`.repeat(64));
  const imageUrl = `https://downloads.example.com/widget/${version}/image.tar`;

  const staff = await run.open('staff', { js });
  await openCategory(run, staff, 'Releases');
  await run.clickAndWait(staff, staff.getByRole('main').getByRole('link', { name: 'Post a release' }).first());
  await run.checkPage(staff);
  await staff.getByLabel('Title').fill(title);
  await staff.getByLabel('Product').fill('Widget');
  await staff.getByLabel('Version').fill(version);
  await staff.getByLabel('Release date').fill('2026-12-01');
  await staff.getByLabel('Release notes').fill(`## Fixed\n\n- Exports keep leading zeros (${tag}).`);
  await run.clickAndWait(staff, staff.getByRole('button', { name: 'Post', exact: true }));
  await run.checkPage(staff);
  await staff.getByRole('heading', { level: 1, name: title }).waitFor();

  // An uploaded file.
  const downloads = staff.locator('#downloads');
  await downloads.getByLabel('Label').fill('Linux tarball');
  await downloads.getByLabel('File').setInputFiles({ name: `widget-${version}.tar.gz`, mimeType: 'application/gzip', buffer: tarball });
  await run.clickAndWait(staff, downloads.getByRole('button', { name: 'Add download' }));
  await run.checkPage(staff);
  await staff.locator('#downloads').getByRole('link', { name: 'Linux tarball' }).waitFor();

  // A link, with no file chosen.
  await staff.locator('#downloads').getByLabel('Label').fill('Container image');
  await staff.locator('#downloads').getByLabel('or a link').fill(imageUrl);
  await run.clickAndWait(staff, staff.locator('#downloads').getByRole('button', { name: 'Add download' }));
  await run.checkPage(staff);
  const link = staff.locator('#downloads').getByRole('link', { name: 'Container image' });
  assert.ok(await link.count(), `the release lists the "Container image" link download; the page says:\n${(await staff.getByRole('main').innerText()).slice(0, 600)}`);
  assert.equal(await link.getAttribute('href'), imageUrl);

  // A customer finds the release and downloads the file.
  const alice = await run.open('alice', { js });
  await openTopic(run, alice, 'Releases', title);
  await alice.locator('#downloads').getByRole('link', { name: 'Container image' }).waitFor();
  const download = alice.waitForEvent('download');
  await alice.locator('#downloads').getByRole('link', { name: 'Linux tarball' }).click();
  const file = await download;
  assert.equal(file.suggestedFilename(), `widget-${version}.tar.gz`);
  assert.ok(fs.readFileSync(await file.path()).equals(tarball), 'the downloaded file is the one uploaded');
}

flow('staff post a release with an uploaded download and a link download', (run) => postRelease(run, { js: true }));
flow('staff post a release with both kinds of download, JavaScript off', (run) => postRelease(run, { js: false }));

phonePass();

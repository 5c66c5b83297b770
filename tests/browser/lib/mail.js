'use strict';
// Reads the mail Parley writes as .eml files when no SMTP server is set, so that a
// test can open a mailed link the way a person would open it from their inbox.

const fs = require('node:fs');
const path = require('node:path');

function splitHead(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  if (at < 0) return { head: raw, body: '' };
  const sep = raw.slice(at).match(/^\r?\n\r?\n/)[0];
  return { head: raw.slice(0, at), body: raw.slice(at + sep.length) };
}

function parseHeaders(head) {
  const headers = {};
  // Folded lines continue the previous header.
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

function decodeWords(value) {
  // RFC 2047 encoded words, as lettre writes non-ASCII subjects.
  return value.replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, charset, enc, text) => {
    if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
    const bytes = text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  });
}

function decodeQuotedPrintable(text) {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < joined.length; i += 1) {
    const c = joined[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body, encoding) {
  const enc = (encoding || '7bit').toLowerCase();
  if (enc === 'quoted-printable') return decodeQuotedPrintable(body);
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

// Every text part of a message, decoded, depth first.
function textParts(headers, body) {
  const type = headers['content-type'] || 'text/plain';
  const boundary = type.match(/boundary="?([^";]+)"?/i);
  if (/^multipart\//i.test(type) && boundary) {
    const marker = `--${boundary[1]}`;
    const parts = body.split(marker).slice(1);
    const out = [];
    for (const part of parts) {
      if (part.startsWith('--')) break;
      const { head, body: partBody } = splitHead(part.replace(/^\r?\n/, ''));
      out.push(...textParts(parseHeaders(head), partBody));
    }
    return out;
  }
  if (/^text\//i.test(type)) {
    return [{ type: type.split(';')[0].trim().toLowerCase(), text: decodeBody(body, headers['content-transfer-encoding']) }];
  }
  return [];
}

function parseMessage(file) {
  const raw = fs.readFileSync(file, 'utf8');
  const { head, body } = splitHead(raw);
  const headers = parseHeaders(head);
  const parts = textParts(headers, body);
  const plain = parts.find((p) => p.type === 'text/plain');
  const html = parts.find((p) => p.type === 'text/html');
  const text = plain ? plain.text : html ? html.text.replace(/<[^>]+>/g, ' ') : '';
  return {
    file,
    to: decodeWords(headers.to || ''),
    subject: decodeWords(headers.subject || ''),
    headers,
    text,
    html: html ? html.text : '',
  };
}

function linksIn(message) {
  const found = new Set();
  const sources = [message.text, message.html.replace(/&amp;/g, '&')];
  for (const s of sources) {
    for (const m of s.matchAll(/https?:\/\/[^\s<>"')\]]+/g)) found.add(m[0].replace(/[.,;]+$/, ''));
  }
  return [...found];
}

class Mailbox {
  constructor(dataDir) {
    this.dir = path.join(dataDir, 'mail');
  }

  files() {
    try {
      return fs.readdirSync(this.dir).filter((f) => f.endsWith('.eml')).sort();
    } catch (e) {
      if (e.code === 'ENOENT') return [];
      throw e;
    }
  }

  // The messages present now; waitFor({ after }) only looks at newer ones.
  mark() {
    return new Set(this.files());
  }

  all() {
    return this.files().map((f) => parseMessage(path.join(this.dir, f)));
  }

  async waitFor({ to, subject, after, timeoutMs = 15000 }) {
    const deadline = Date.now() + timeoutMs;
    const wanted = (m) =>
      (!to || m.to.toLowerCase().includes(to.toLowerCase())) &&
      (!subject || (subject instanceof RegExp ? subject.test(m.subject) : m.subject.includes(subject)));
    for (;;) {
      const fresh = this.files().filter((f) => !after || !after.has(f));
      const hits = fresh.map((f) => parseMessage(path.join(this.dir, f))).filter(wanted);
      if (hits.length) return hits[hits.length - 1];
      if (Date.now() > deadline) {
        const seen = this.all().map((m) => `  ${m.to} | ${m.subject}`).join('\n');
        throw new Error(`no mail to ${to} with subject ${subject} within ${timeoutMs} ms; the mail folder holds:\n${seen || '  (nothing)'}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  // The first link in a message whose path starts with `prefix`.
  static link(message, prefix) {
    const link = linksIn(message).find((l) => new URL(l).pathname.startsWith(prefix));
    if (!link) {
      throw new Error(`the mail "${message.subject}" to ${message.to} has no ${prefix} link; it says:\n${message.text}`);
    }
    return link;
  }
}

module.exports = { Mailbox, parseMessage, linksIn, decodeQuotedPrintable };

'use strict';

const crypto = require('node:crypto');

// A short random word that keeps titles and addresses of one run apart from another's.
function unique() {
  return crypto.randomBytes(4).toString('hex');
}

module.exports = { unique };

// Stands in for semver in the bundle (scripts/build.mjs): fastify's plugin-utils requires the whole
// package at the top of its file (47 modules evaluated at startup, their regular expressions built)
// but calls it only to check the fastify version a plugin declares, which no Updraft plugin does.
// The three functions it calls load their own modules on first use.
module.exports = {
  gt: (...args) => require('semver/functions/gt')(...args),
  coerce: (...args) => require('semver/functions/coerce')(...args),
  satisfies: (...args) => require('semver/functions/satisfies')(...args),
};

// Stands in for @opentelemetry/api in the bundle (scripts/build.mjs): prom-client's CPU metric requires
// it at the top of its file (~50 modules, 0.5 MB of heap) but uses it only for exemplars, which Updraft
// never enables.
const away = () => { throw new Error('@opentelemetry/api is not in the Updraft bundle: metric exemplars are not supported'); };
module.exports = { get trace() { return away(); }, get context() { return away(); } };

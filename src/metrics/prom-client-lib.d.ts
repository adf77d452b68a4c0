// prom-client's own modules (src/metrics/registry.ts imports them rather than its index), typed from
// its index's declarations.
declare module 'prom-client/lib/registry.js' { const m: typeof import('prom-client').Registry; export = m; }
declare module 'prom-client/lib/counter.js' { const m: typeof import('prom-client').Counter; export = m; }
declare module 'prom-client/lib/gauge.js' { const m: typeof import('prom-client').Gauge; export = m; }
declare module 'prom-client/lib/histogram.js' { const m: typeof import('prom-client').Histogram; export = m; }
declare module 'prom-client/lib/defaultMetrics.js' { const m: typeof import('prom-client').collectDefaultMetrics; export = m; }

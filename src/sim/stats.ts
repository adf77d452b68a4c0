// Load figures: round trips by kind with latency percentiles (a fixed log-scale histogram, so
// 10,000 devices cost no memory per sample), errors, enrollments, and CPU spent signing.

const BUCKETS = 400; // 1.05^i × 0.05 ms: 0.05 ms … ~15 s
const bucketOf = (ms: number) => Math.min(BUCKETS - 1, Math.max(0, Math.ceil(Math.log(ms / 0.05) / Math.log(1.05))));
const valueOf = (b: number) => 0.05 * 1.05 ** b;

export class Stats {
  started = performance.now();
  enrolled = 0;
  enrollFailed = 0;
  commands = 0;
  errors = 0;
  readonly byKind = new Map<string, number>();
  lastError: string | null = null;
  private readonly hist = new Uint32Array(BUCKETS);
  private samples = 0;
  private signUs = 0;
  private signs = 0;

  /** Starts a new measurement window (enrollment counts are kept). */
  reset(): void {
    this.started = performance.now();
    this.hist.fill(0);
    this.samples = 0;
    this.errors = 0;
    this.commands = 0;
    this.signUs = 0;
    this.signs = 0;
    this.byKind.clear();
    this.lastError = null;
  }

  roundTrip(kind: string, ms: number, status: number): void {
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    this.hist[bucketOf(ms)]++;
    this.samples++;
    if (status !== 200) this.errors++;
  }

  error(err: unknown): void {
    this.errors++;
    this.lastError = err instanceof Error ? err.message : String(err);
  }

  signCpu(u: NodeJS.CpuUsage): void {
    this.signUs += u.user + u.system;
    this.signs++;
  }

  percentile(p: number): number {
    let seen = 0;
    const want = Math.ceil(this.samples * p);
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.hist[i];
      if (seen >= want && seen > 0) return valueOf(i);
    }
    return 0;
  }

  get roundTrips(): number {
    return this.samples;
  }

  summary(): Record<string, number | string> {
    const secs = (performance.now() - this.started) / 1000;
    return {
      seconds: Number(secs.toFixed(1)),
      enrolled: this.enrolled,
      enrollFailed: this.enrollFailed,
      commands: this.commands,
      roundTrips: this.samples,
      roundTripsPerSecond: Number((this.samples / secs).toFixed(1)),
      p50ms: Number(this.percentile(0.5).toFixed(2)),
      p99ms: Number(this.percentile(0.99).toFixed(2)),
      errors: this.errors,
      signCpuMsPerRequest: this.signs ? Number((this.signUs / this.signs / 1000).toFixed(3)) : 0,
      ...Object.fromEntries([...this.byKind].map(([k, n]) => [`${k}RoundTrips`, n])),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}

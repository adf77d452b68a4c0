// The storage interface for operations: readiness (database reachable, migrations applied) and the
// gauges /metrics reads on each scrape.

export interface OpsStore {
  /** Throws when the database cannot be reached; otherwise the migrations not applied yet (none once opened). */
  pendingMigrations(): Promise<string[]>;
  /** Commands queued and not yet answered, over every enrollment. */
  queueDepth(): Promise<number>;
  /** Devices of running and paused campaigns, by their state. */
  campaignDeviceStates(): Promise<Record<string, number>>;
}

// A background pass run every `every` ms, never two at once: runOnce() joins a pass in progress,
// a pass that throws is logged, and stop() clears the timer and waits for the pass in progress.
export interface Periodic<T> {
  runOnce(): Promise<T>;
  stop(): Promise<void>;
}

export function periodic<T>(pass: () => Promise<T>, every: number, onError: (err: Error) => void): Periodic<T> {
  let running: Promise<T> | null = null;
  const runOnce = (): Promise<T> => {
    running ??= pass().finally(() => { running = null; });
    return running;
  };
  const timer = setInterval(() => { runOnce().catch(onError); }, every);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

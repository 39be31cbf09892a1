/**
 * Runs `task` every `intervalMs`, one run at a time (the next is scheduled when one ends), until
 * stopped; `stop()` waits for a run in progress.
 */
export function runEvery(intervalMs: number, task: () => Promise<void>, onError: (error: unknown) => void) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = task().catch(onError).finally(schedule);
    }, intervalMs);
  }
  schedule();

  return {
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * The newest log end offset known per partition: the heartbeat asks Kafka about every second, and a
 * fetch brings its partition's high watermark. A batch records the newer of the two with its
 * checkpoint: the heartbeat skips a checkpoint row a batch holds locked, so on a busy partition the
 * batch's write is the one that keeps PostgreSQL's log end (and so its projection lag) current.
 */
export interface LogEnds {
  record(partition: number, logEnd: number): void;
  /** The newest of `seen` and what was recorded. */
  latest(partition: number, seen: number): number;
  /** Forgets what was recorded: the partition's log was replaced by a shorter one. */
  restart(partition: number): void;
}

export function createLogEnds(): LogEnds {
  const ends = new Map<number, number>();
  return {
    record(partition, logEnd) {
      if (logEnd > (ends.get(partition) ?? -1)) ends.set(partition, logEnd);
    },
    latest(partition, seen) {
      return Math.max(seen, ends.get(partition) ?? -1);
    },
    restart(partition) {
      ends.delete(partition);
    },
  };
}

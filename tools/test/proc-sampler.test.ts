import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { POSTGRES_EXITED_LABEL, type ProcessSample } from '../src/bench/cpu-share.js';
import { sampleProcesses } from '../src/bench/proc-sampler.js';
import { baseServiceUrls } from '../src/testing/index.js';

const ticksOf = (samples: readonly ProcessSample[], keep: (s: ProcessSample) => boolean) =>
  samples.filter(keep).reduce((sum, s) => sum + s.ticks, 0);

function localPostgres(pid: number | undefined): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(postgres)');
  } catch {
    return false;
  }
}

describe('CPU sampled from /proc', () => {
  it("keeps a PostgreSQL session's CPU after the session closed, through the postmaster", async (ctx) => {
    // given the exited PostgreSQL processes' ticks so far
    const exited = (s: ProcessSample) => s.label === POSTGRES_EXITED_LABEL;
    const before = ticksOf(await sampleProcesses(), exited);

    // when a session spends a measurable amount of CPU and closes
    const client = new pg.Client({ connectionString: baseServiceUrls().postgresBaseUrl });
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]?.pid;
    // A server in a container or on another host has its sessions out of this /proc.
    if (!localPostgres(pid)) {
      await client.end();
      ctx.skip();
    }
    await client.query('SELECT sum(x) FROM generate_series(1, 3000000) x');
    const spent = ticksOf(await sampleProcesses(), (s) => s.pid === pid && s.label === 'postgres');
    await client.end();

    // then its ticks, once the postmaster has reaped it, count under the exited label
    expect(spent).toBeGreaterThanOrEqual(10);
    await expect
      .poll(async () => ticksOf(await sampleProcesses(), exited) - before, { timeout: 5_000 })
      .toBeGreaterThanOrEqual(spent);
  });
});

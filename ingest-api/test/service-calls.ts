import type { ServiceProcess } from '@rankstream/tools/testing';

/** An HTTP call to a running service with an API key, and a JSON body when given. */
export function call(service: ServiceProcess, method: string, path: string, key: string, body?: unknown) {
  return fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Reads until `done` holds or the time is up, and returns the last value read (the test then asserts on it). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

import { existsSync } from 'node:fs';
import { request } from 'node:http';

/**
 * True when a Docker engine answers its ping on DOCKER_HOST (unix:// or tcp://) or the default
 * socket. Quick on purpose: on a machine without Docker it must not slow `npm test` down.
 */
export function dockerAnswers(timeoutMs = 1_500): Promise<boolean> {
  const host = process.env.DOCKER_HOST;
  let target: { socketPath: string } | { host: string; port: number };
  if (!host || host.startsWith('unix://')) {
    const socketPath = host ? host.slice('unix://'.length) : '/var/run/docker.sock';
    if (!existsSync(socketPath)) return Promise.resolve(false);
    target = { socketPath };
  } else {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    target = { host: url.hostname, port: Number(url.port) || 2375 };
  }
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

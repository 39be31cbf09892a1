import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder the test can cut: every open connection is destroyed and new ones are refused
 * until it is restored, which to a client looks like a database server going away and coming back.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const listener = createServer((client) => {
        const upstream = connect(target.port, target.host);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
      });
      server = listener;
      listener.once('error', reject);
      // The same port every time, so the client's connection string stays valid.
      listener.listen(port, '127.0.0.1', () => {
        port = (listener.address() as { port: number }).port;
        resolve();
      });
    });

  await listen();
  return {
    get port() {
      return port;
    },
    async cut(): Promise<void> {
      const closed = new Promise<void>((resolve) => server?.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    restore: listen,
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
    },
  };
}

// Free TCP ports on 127.0.0.1. A port handed out once is never handed out again by this
// process, so stacks started side by side cannot collide with each other.
import net from 'node:net';

const handedOut = new Set<number>();

/**
 * A port that is free right now: `preferred` when it is free and not yet handed out, else one
 * the kernel picks.
 */
export async function freePort(preferred?: number): Promise<number> {
  if (preferred !== undefined && !handedOut.has(preferred) && (await canListen(preferred))) {
    handedOut.add(preferred);
    return preferred;
  }
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (port !== undefined && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free TCP port found on 127.0.0.1');
}

/** Forget a port (after its server stopped) so that a preferred port can be reused later. */
export function releasePort(port: number): void {
  handedOut.delete(port);
}

export async function canListen(port: number): Promise<boolean> {
  return (await listenOnce(port)) !== undefined;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const finish = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

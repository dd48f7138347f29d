// Who is on the other end of a loopback TCP connection: the owning uid of the peer socket, from /proc/net/tcp.
// Every sandboxed environment runs as its own uid, so this tells one environment's runtime from any other process.
import { readFile } from 'node:fs/promises';

const hexPort = (p: number): string => p.toString(16).toUpperCase().padStart(4, '0');

/**
 * The uid owning the socket whose local end is 127.0.0.1:`peerPort` and remote end 127.0.0.1:`ourPort`, or
 * undefined when no such socket is listed (the peer is gone or in another network namespace).
 */
export function peerUid(table: string, peerPort: number, ourPort: number): number | undefined {
  const local = `0100007F:${hexPort(peerPort)}`;
  const remote = `0100007F:${hexPort(ourPort)}`;
  let i = table.indexOf(local);
  while (i >= 0) {
    const end = table.indexOf('\n', i);
    const cols = table.slice(i, end < 0 ? undefined : end).trim().split(/\s+/);
    // cols: local rem st queues tr retrnsmt uid …, starting at local_address.
    if (cols[0] === local && cols[1] === remote) {
      const uid = Number(cols[6]);
      return Number.isInteger(uid) ? uid : undefined;
    }
    i = table.indexOf(local, i + local.length);
  }
  return undefined;
}

export async function loopbackPeerUid(peerPort: number, ourPort: number): Promise<number | undefined> {
  try {
    return peerUid(await readFile('/proc/net/tcp', 'latin1'), peerPort, ourPort);
  } catch {
    return undefined;
  }
}

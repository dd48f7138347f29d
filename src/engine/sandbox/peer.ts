// Who is on the other end of a loopback TCP connection: the owning uid and inode of the peer socket, from /proc/net/tcp.
// A root sandbox runs every environment as its own uid; a rootless one finds which environment holds the inode.
import { readFile } from 'node:fs/promises';

const hexPort = (p: number): string => p.toString(16).toUpperCase().padStart(4, '0');

/**
 * The uid owning the socket whose local end is 127.0.0.1:`peerPort` and remote end 127.0.0.1:`ourPort`, or
 * undefined when no such socket is listed (the peer is gone or in another network namespace).
 */
export function peerUid(table: string, peerPort: number, ourPort: number): number | undefined {
  return peerSocket(table, peerPort, ourPort)?.uid;
}

/** The owning uid and inode of that socket (rootless sandboxes tell environments apart by who holds the inode). */
export function peerSocket(table: string, peerPort: number, ourPort: number): { uid: number; inode: number } | undefined {
  const local = `0100007F:${hexPort(peerPort)}`;
  const remote = `0100007F:${hexPort(ourPort)}`;
  let i = table.indexOf(local);
  while (i >= 0) {
    const end = table.indexOf('\n', i);
    const cols = table.slice(i, end < 0 ? undefined : end).trim().split(/\s+/);
    // cols: local rem st queues tr retrnsmt uid timeout inode …, starting at local_address.
    if (cols[0] === local && cols[1] === remote) {
      const uid = Number(cols[6]);
      const inode = Number(cols[8]);
      return Number.isInteger(uid) && Number.isInteger(inode) ? { uid, inode } : undefined;
    }
    i = table.indexOf(local, i + local.length);
  }
  return undefined;
}

export async function loopbackPeer(peerPort: number, ourPort: number): Promise<{ uid: number; inode: number } | undefined> {
  try {
    return peerSocket(await readFile('/proc/net/tcp', 'latin1'), peerPort, ourPort);
  } catch {
    return undefined;
  }
}

export async function loopbackPeerUid(peerPort: number, ourPort: number): Promise<number | undefined> {
  try {
    return peerUid(await readFile('/proc/net/tcp', 'latin1'), peerPort, ourPort);
  } catch {
    return undefined;
  }
}

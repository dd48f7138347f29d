// Schema checks shared by both stores: a database written by a newer selfless is refused with one clear line.
import type { Migration } from './store.js';

/** A store that cannot be opened or used by this version; the CLI prints its message as one line. */
export class StoreOpenError extends Error {}

export function checkNotNewer(owner: string, applied: ReadonlySet<number>, known: readonly Migration[], where: string): void {
  const newest = Math.max(0, ...known.map((m) => m.version));
  const theirs = Math.max(0, ...applied);
  if (theirs > newest) {
    throw new StoreOpenError(`the store at ${where} has schema version ${theirs} of '${owner}', newer than this selfless knows (${newest}); run a newer selfless against it`);
  }
}

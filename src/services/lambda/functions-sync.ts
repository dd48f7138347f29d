// Brings a cached function record in line with its rows in the store (another node changed it) and says what
// changed, in the scopes the registry's listeners take (retire environments, forget URLs, follow aliases, …).
import type { ChangeScope } from './functions.js';
import type { FunctionRecord, StoredAlias, StoredConfig } from './model.js';

export interface FunctionRow {
  next_version: number;
  tags: string;
  reserved: number | null;
}

/** Updates `fn` in place (callers hold references to it); a version counts as changed when its RevisionId did. */
export function syncRecord(fn: FunctionRecord, row: FunctionRow, versions: readonly { version: string; config: string }[], aliases: readonly { alias: string; config: string }[]): ChangeScope[] {
  const scopes: ChangeScope[] = [];
  fn.nextVersion = row.next_version;
  fn.tags = JSON.parse(row.tags) as Record<string, string>;
  if ((row.reserved ?? undefined) !== fn.reserved) {
    if (row.reserved === null) delete fn.reserved;
    else fn.reserved = row.reserved;
    scopes.push({ retire: false });
  }
  const seen = new Set<string>();
  for (const v of versions) {
    seen.add(v.version);
    const config = JSON.parse(v.config) as StoredConfig;
    const had = fn.versions.get(v.version);
    if (had?.RevisionId === config.RevisionId) continue;
    fn.versions.set(v.version, config);
    // A new revision alone (a policy change) leaves the environments of that version as they are.
    if (had && !sameButRevision(had, config)) scopes.push({ version: v.version, retire: true });
  }
  for (const v of [...fn.versions.keys()]) {
    if (seen.has(v)) continue;
    fn.versions.delete(v);
    scopes.push({ version: v, retire: true, deleted: true });
  }
  const seenAliases = new Set<string>();
  for (const a of aliases) {
    seenAliases.add(a.alias);
    const had = fn.aliases.get(a.alias);
    if (had && JSON.stringify(had) === a.config) continue;
    fn.aliases.set(a.alias, JSON.parse(a.config) as StoredAlias);
    scopes.push({ retire: false, alias: { name: a.alias, deleted: false } });
  }
  for (const a of [...fn.aliases.keys()]) {
    if (seenAliases.has(a)) continue;
    fn.aliases.delete(a);
    scopes.push({ retire: false, alias: { name: a, deleted: true } });
  }
  return scopes;
}

function sameButRevision(a: StoredConfig, b: StoredConfig): boolean {
  return JSON.stringify({ ...a, RevisionId: '' }) === JSON.stringify({ ...b, RevisionId: '' });
}

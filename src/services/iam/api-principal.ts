// The operations users and roles share on the wire: tags (Tag/Untag/List…Tags) and permissions boundaries.
import { mergeTags, need, page, tags, withoutTags, type Rule } from './form.js';
import type { Op } from './shapes.js';

/** `Tag<Noun>`, `Untag<Noun>`, `List<Noun>Tags`, `Put<Noun>PermissionsBoundary`, `Delete<Noun>PermissionsBoundary`. */
export function taggedPrincipalOps(kind: 'user' | 'role', noun: 'User' | 'Role', nameRule: Rule): Record<string, Op> {
  const member = `${noun}Name`;
  const named = (c: Parameters<Op>[0], f: Parameters<Op>[1]) => c.dir.get(kind, need(f, member, nameRule));
  return {
    async [`Tag${noun}`](c, f) {
      const p = await named(c, f);
      p.tags = mergeTags(p.tags, tags(f));
      await c.dir.save(p);
      return undefined;
    },
    async [`Untag${noun}`](c, f) {
      const p = await named(c, f);
      p.tags = withoutTags(p.tags, f);
      await c.dir.save(p);
      return undefined;
    },
    async [`List${noun}Tags`](c, f) {
      const p = await named(c, f);
      const pg = page(f, p.tags, (t) => t.Key.toLowerCase());
      return { Tags: pg.items, IsTruncated: pg.IsTruncated, Marker: pg.Marker };
    },
    async [`Put${noun}PermissionsBoundary`](c, f) {
      const p = await named(c, f);
      p.boundary = need(f, 'PermissionsBoundary');
      await c.policies.attachable(p.boundary);
      await c.dir.save(p);
      return undefined;
    },
    async [`Delete${noun}PermissionsBoundary`](c, f) {
      const p = await named(c, f);
      delete p.boundary;
      await c.dir.save(p);
      return undefined;
    },
  };
}

// CloudWatch Logs log-group settings: retention policies and tags (by log group name and by ARN).
import { AwsError } from '../../lib/errors.js';
import type { Handler } from '../../server/types.js';
import type { Store } from '../../store/store.js';

/** The retention periods AWS accepts (the `Days` shape's documented values). */
const DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const NOT_FOUND = 'The specified log group does not exist.';

type Body = Record<string, unknown>;
type Tags = Record<string, string>;

/** Tags of a request (`tags` map): strings only, as the `Tags` shape is a string-to-string map. */
export function tagsOf(v: unknown): Tags {
  const out: Tags = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

export function groupOps(store: Store, parse: (b: Buffer) => Body, required: (b: Body, name: string) => string): Record<string, Handler> {
  const tagsOfGroup = async (region: string, g: string): Promise<Tags> => {
    const row = await store.get<{ tags: string | null }>('SELECT tags FROM logs_groups WHERE region = ? AND grp = ?', [region, g]);
    if (!row) throw new AwsError('ResourceNotFoundException', NOT_FOUND);
    return row.tags ? (JSON.parse(row.tags) as Tags) : {};
  };
  const saveTags = (region: string, g: string, tags: Tags): Promise<unknown> =>
    store.run('UPDATE logs_groups SET tags = ? WHERE region = ? AND grp = ?', [JSON.stringify(tags), region, g]);
  /** The log group an ARN names (`arn:aws:logs:<region>:<account>:log-group:<name>`, with or without `:*`). */
  const groupOfArn = (arn: string): { region: string; group: string } => {
    const m = /^arn:aws[\w-]*:logs:([a-z0-9-]+):\d{12}:log-group:(.+?)(?::\*)?$/.exec(arn);
    if (!m) throw new AwsError('InvalidParameterException', `Invalid resource arn: ${arn}`);
    return { region: m[1]!, group: m[2]! };
  };
  const setRetention = async (region: string, g: string, days: number | null): Promise<void> => {
    const r = await store.run('UPDATE logs_groups SET retention = ? WHERE region = ? AND grp = ?', [days, region, g]);
    if (r.changes === 0) throw new AwsError('ResourceNotFoundException', NOT_FOUND);
  };

  return {
    PutRetentionPolicy: async (req) => {
      const b = parse(req.body);
      const g = required(b, 'logGroupName');
      const days = b['retentionInDays'];
      if (typeof days !== 'number' || !DAYS.includes(days))
        throw new AwsError(
          'InvalidParameterException',
          `1 validation error detected: Value '${String(days ?? null)}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${DAYS.join(', ')}]`,
        );
      await setRetention(req.region, g, days);
      return { body: {} };
    },
    DeleteRetentionPolicy: async (req) => {
      await setRetention(req.region, required(parse(req.body), 'logGroupName'), null);
      return { body: {} };
    },
    ListTagsLogGroup: async (req) => ({ body: { tags: await tagsOfGroup(req.region, required(parse(req.body), 'logGroupName')) } }),
    TagLogGroup: async (req) => {
      const b = parse(req.body);
      const g = required(b, 'logGroupName');
      await saveTags(req.region, g, { ...(await tagsOfGroup(req.region, g)), ...tagsOf(b['tags']) });
      return { body: {} };
    },
    UntagLogGroup: async (req) => {
      const b = parse(req.body);
      const g = required(b, 'logGroupName');
      const tags = await tagsOfGroup(req.region, g);
      for (const k of Array.isArray(b['tags']) ? (b['tags'] as unknown[]) : []) if (typeof k === 'string') delete tags[k];
      await saveTags(req.region, g, tags);
      return { body: {} };
    },
    ListTagsForResource: async (req) => {
      const { region, group } = groupOfArn(required(parse(req.body), 'resourceArn'));
      return { body: { tags: await tagsOfGroup(region, group) } };
    },
    TagResource: async (req) => {
      const b = parse(req.body);
      const { region, group } = groupOfArn(required(b, 'resourceArn'));
      await saveTags(region, group, { ...(await tagsOfGroup(region, group)), ...tagsOf(b['tags']) });
      return { body: {} };
    },
    UntagResource: async (req) => {
      const b = parse(req.body);
      const { region, group } = groupOfArn(required(b, 'resourceArn'));
      const tags = await tagsOfGroup(region, group);
      for (const k of Array.isArray(b['tagKeys']) ? (b['tagKeys'] as unknown[]) : []) if (typeof k === 'string') delete tags[k];
      await saveTags(region, group, tags);
      return { body: {} };
    },
  };
}

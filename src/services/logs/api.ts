// CloudWatch Logs read API (JSON 1.1, `Logs_20140328.*`) over the log store, plus PutLogEvents for completeness.
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import type { ApiRequest, ServiceRoutes } from '../../server/types.js';
import type { SqlValue, Store } from '../../store/store.js';
import type { LogStore, StoredEvent } from './store.js';
import { groupOps, tagsOf } from './api-groups.js';

const parseBody = (raw: Buffer): Record<string, unknown> => {
  try {
    return raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON.');
  }
};
const body = (req: ApiRequest): Record<string, unknown> => parseBody(req.body);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function required(b: Record<string, unknown>, name: string): string {
  const v = str(b[name]);
  if (!v) throw new AwsError('InvalidParameterException', `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  return v;
}

/** CloudWatch Logs filter patterns: the plain-term subset (all terms must appear; quoted phrases kept whole). */
export function matchesFilter(pattern: string | undefined, message: string): boolean {
  if (!pattern || pattern.trim() === '') return true;
  const terms = pattern.match(/"[^"]*"|\S+/g) ?? [];
  return terms.every((t) => {
    const term = t.startsWith('"') ? t.slice(1, -1) : t;
    return term.startsWith('-') ? !message.includes(term.slice(1)) : message.includes(term);
  });
}

export function logsRoutes(store: Store, logs: LogStore, clock: Clock, accountId: string): ServiceRoutes {
  const groupArn = (region: string, g: string): string => `arn:aws:logs:${region}:${accountId}:log-group:${g}`;
  const requireGroup = async (region: string, g: string): Promise<void> => {
    const row = await store.get('SELECT 1 FROM logs_groups WHERE region = ? AND grp = ?', [region, g]);
    if (!row) throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
  };

  return {
    json: [
      {
        targetPrefix: 'Logs_20140328',
        errorNamespace: 'com.amazonaws.logs',
        // CloudWatch Logs answers constraint violations as InvalidParameterException.
        validation: { code: 'InvalidParameterException' },
        ops: {
          ...groupOps(store, parseBody, required),
          CreateLogGroup: async (req) => {
            const b = body(req);
            const g = required(b, 'logGroupName');
            const tags = JSON.stringify(tagsOf(b['tags']));
            const r = await store.run('INSERT INTO logs_groups (region, grp, created, tags) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [req.region, g, clock.now(), tags]);
            if (r.changes === 0) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
            return { body: {} };
          },
          DeleteLogGroup: async (req) => {
            const g = required(body(req), 'logGroupName');
            await logs.flush();
            await requireGroup(req.region, g);
            await store.tx(async (q) => {
              for (const t of ['logs_events', 'logs_streams', 'logs_groups']) await q.run(`DELETE FROM ${t} WHERE region = ? AND grp = ?`, [req.region, g]);
            });
            return { body: {} };
          },
          DescribeLogGroups: async (req) => {
            await logs.flush();
            const b = body(req);
            const prefix = str(b['logGroupNamePrefix']) ?? '';
            const rows = await store.all<{ grp: string; created: number; retention: number | null }>(
              'SELECT grp, created, retention FROM logs_groups WHERE region = ? AND substr(grp, 1, ?) = ? ORDER BY grp',
              [req.region, prefix.length, prefix],
            );
            return {
              body: {
                logGroups: rows.map((r) => ({
                  logGroupName: r.grp,
                  creationTime: r.created,
                  metricFilterCount: 0,
                  arn: `${groupArn(req.region, r.grp)}:*`,
                  logGroupArn: groupArn(req.region, r.grp),
                  storedBytes: 0,
                  // Groups keep no class here: each reports Standard, the class CreateLogGroup makes when none is asked for.
                  logGroupClass: 'STANDARD',
                  ...(r.retention ? { retentionInDays: r.retention } : {}),
                })),
              },
            };
          },
          DescribeLogStreams: async (req) => {
            await logs.flush();
            const b = body(req);
            const g = required(b, 'logGroupName');
            await requireGroup(req.region, g);
            const byTime = b['orderBy'] === 'LastEventTime';
            const desc = b['descending'] === true;
            const limit = Math.min(num(b['limit']) ?? 50, 50);
            const prefix = str(b['logStreamNamePrefix']) ?? '';
            const offset = Number(str(b['nextToken']) ?? 0) || 0;
            const rows = await store.all<{ stream: string; created: number; first_ts: number; last_ts: number; last_ingest: number }>(
              `SELECT * FROM logs_streams WHERE region = ? AND grp = ? AND substr(stream, 1, ?) = ?
               ORDER BY ${byTime ? 'last_ts' : 'stream'} ${desc ? 'DESC' : 'ASC'} LIMIT ? OFFSET ?`,
              [req.region, g, prefix.length, prefix, limit + 1, offset],
            );
            return {
              body: {
                logStreams: rows.slice(0, limit).map((r) => ({
                  logStreamName: r.stream,
                  creationTime: r.created,
                  firstEventTimestamp: r.first_ts,
                  lastEventTimestamp: r.last_ts,
                  lastIngestionTime: r.last_ingest,
                  uploadSequenceToken: '1',
                  arn: `${groupArn(req.region, g)}:log-stream:${r.stream}`,
                  storedBytes: 0,
                })),
                ...(rows.length > limit ? { nextToken: String(offset + limit) } : {}),
              },
            };
          },
          CreateLogStream: async (req) => {
            const b = body(req);
            const g = required(b, 'logGroupName');
            const s = required(b, 'logStreamName');
            await requireGroup(req.region, g);
            const r = await store.run('INSERT INTO logs_streams (region, grp, stream, created) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [req.region, g, s, clock.now()]);
            if (r.changes === 0) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
            return { body: {} };
          },
          PutLogEvents: async (req) => {
            const b = body(req);
            const g = required(b, 'logGroupName');
            const s = required(b, 'logStreamName');
            await requireGroup(req.region, g);
            const events = Array.isArray(b['logEvents']) ? (b['logEvents'] as { timestamp?: unknown; message?: unknown }[]) : [];
            logs.append(req.region, g, s, events.map((e) => ({ timestamp: num(e.timestamp) ?? clock.now(), message: str(e.message) ?? '' })));
            await logs.flush();
            return { body: { nextSequenceToken: '1' } };
          },
          GetLogEvents: async (req) => {
            await logs.flush();
            const b = body(req);
            const g = required(b, 'logGroupName');
            const s = required(b, 'logStreamName');
            await requireGroup(req.region, g);
            const limit = Math.min(num(b['limit']) ?? 10000, 10000);
            const token = str(b['nextToken']);
            const fromHead = token ? token.startsWith('f/') : b['startFromHead'] === true;
            const cursor = token ? Number(token.slice(2)) : undefined;
            const where = ['region = ?', 'grp = ?', 'stream = ?'];
            const params: SqlValue[] = [req.region, g, s];
            if (num(b['startTime']) !== undefined) (where.push('ts >= ?'), params.push(num(b['startTime'])!));
            if (num(b['endTime']) !== undefined) (where.push('ts < ?'), params.push(num(b['endTime'])!));
            if (cursor !== undefined) (where.push(fromHead ? 'id > ?' : 'id < ?'), params.push(cursor));
            const rows = await store.all<StoredEvent>(
              `SELECT * FROM logs_events WHERE ${where.join(' AND ')} ORDER BY id ${fromHead ? 'ASC' : 'DESC'} LIMIT ?`,
              [...params, limit],
            );
            if (!fromHead) rows.reverse();
            const first = rows[0]?.id ?? cursor ?? 0;
            const last = rows[rows.length - 1]?.id ?? cursor ?? 0;
            return {
              body: {
                events: rows.map((r) => ({ timestamp: r.ts, message: r.message, ingestionTime: r.ingest })),
                nextForwardToken: `f/${String(last).padStart(20, '0')}`,
                nextBackwardToken: `b/${String(first).padStart(20, '0')}`,
              },
            };
          },
          FilterLogEvents: async (req) => {
            await logs.flush();
            const b = body(req);
            const g = required(b, 'logGroupName');
            await requireGroup(req.region, g);
            const limit = Math.min(num(b['limit']) ?? 10000, 10000);
            const where = ['region = ?', 'grp = ?'];
            const params: SqlValue[] = [req.region, g];
            const streams = Array.isArray(b['logStreamNames']) ? (b['logStreamNames'] as string[]) : undefined;
            if (streams?.length) (where.push(`stream IN (${streams.map(() => '?').join(',')})`), params.push(...streams));
            if (num(b['startTime']) !== undefined) (where.push('ts >= ?'), params.push(num(b['startTime'])!));
            if (num(b['endTime']) !== undefined) (where.push('ts <= ?'), params.push(num(b['endTime'])!));
            const after = Number(str(b['nextToken']) ?? 0) || 0;
            where.push('id > ?');
            params.push(after);
            const pattern = str(b['filterPattern']);
            const out: StoredEvent[] = [];
            let lastId = after;
            let more = false;
            for (;;) {
              const rows = await store.all<StoredEvent>(`SELECT * FROM logs_events WHERE ${where.join(' AND ')} ORDER BY id LIMIT 1000`, [...params.slice(0, -1), lastId]);
              for (const r of rows) {
                lastId = r.id;
                if (matchesFilter(pattern, r.message)) out.push(r);
                if (out.length >= limit) break;
              }
              if (out.length >= limit) {
                more = true;
                break;
              }
              if (rows.length < 1000) break;
            }
            return {
              body: {
                events: out.map((r) => ({ logStreamName: r.stream, timestamp: r.ts, message: r.message, ingestionTime: r.ingest, eventId: String(r.id) })),
                searchedLogStreams: [],
                ...(more ? { nextToken: String(lastId) } : {}),
              },
            };
          },
        },
      },
    ],
  };
}

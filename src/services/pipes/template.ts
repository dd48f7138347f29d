// Pipes' InputTemplate: `<$.path>` placeholders filled from the event (a JSON body is parsed first, so
// `<$.body.field>` reaches into it); strings go in as text, other values as JSON.
/** The value at a `$.a.b[0]` path, or undefined. */
function at(event: unknown, path: string): unknown {
  if (path === '$') return event;
  const steps = path.replace(/^\$\.?/, '').match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let v: unknown = event;
  for (const s of steps) {
    if (v === null || typeof v !== 'object') return undefined;
    const key = s.startsWith('[') ? Number(s.slice(1, -1)) : s;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/** The event as templates see it: an SQS record's JSON body parsed. */
function view(event: Record<string, unknown>): Record<string, unknown> {
  const body = event['body'];
  if (typeof body !== 'string') return event;
  try {
    return { ...event, body: JSON.parse(body) as unknown };
  } catch {
    return event;
  }
}

export function render(template: string, event: Record<string, unknown>): string {
  const e = view(event);
  return template.replace(/<(\$(?:\.[^<>]*)?)>/g, (_m, path: string) => {
    const v = at(e, path);
    if (v === undefined) return '';
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

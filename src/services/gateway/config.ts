// Loads gateway APIs from a JSON file at start: `{"apis": {"<api-id>": <API definition as for the route table API>}}`.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ApiShape, type RouteTable } from './routes.js';

const FileShape = z.object({ apis: z.record(z.string(), ApiShape) }).strict();

/** Puts every API of the file into the table (replacing same-named ones); throws an Error naming the problem. */
export async function loadGatewayConfig(table: RouteTable, file: string, defaultRegion: string): Promise<number> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`gateway config ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = FileShape.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`gateway config ${file}: ${issue?.path.join('.') || 'file'}: ${issue?.message ?? 'invalid'}`);
  }
  for (const [id, def] of Object.entries(r.data.apis)) {
    try {
      await table.put(id, def, defaultRegion);
    } catch (e) {
      throw new Error(`gateway config ${file}: API ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return Object.keys(r.data.apis).length;
}

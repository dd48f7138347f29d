// Builds zip packages in memory for tests (files, modes, symlinks and hostile entries).
import yazl from 'yazl';

export interface ZipEntry {
  name: string;
  content: string | Buffer;
  mode?: number;
}

export function zip(files: Record<string, string | Buffer> | ZipEntry[]): Promise<Buffer> {
  const entries: ZipEntry[] = Array.isArray(files) ? files : Object.entries(files).map(([name, content]) => ({ name, content }));
  return zipWith((z) => {
    for (const e of entries) {
      const buf = typeof e.content === 'string' ? Buffer.from(e.content) : e.content;
      z.addBuffer(buf, e.name, { mode: e.mode ?? 0o100644, mtime: new Date(2024, 0, 1) });
    }
  });
}

/** A zip of whatever `add` puts in (directories, empty archives: the odd ones tests need). */
export function zipWith(add: (z: yazl.ZipFile) => void): Promise<Buffer> {
  const z = new yazl.ZipFile();
  add(z);
  z.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

/** A zip whose entry name is written verbatim (yazl refuses `..` and absolute names, as it should). */
export async function zipWithRawName(name: string, content: string): Promise<Buffer> {
  const placeholder = 'x'.repeat(name.length);
  const buf = await zip({ [placeholder]: content });
  const from = Buffer.from(placeholder);
  let i = buf.indexOf(from);
  while (i >= 0) {
    Buffer.from(name).copy(buf, i);
    i = buf.indexOf(from, i + 1);
  }
  return buf;
}

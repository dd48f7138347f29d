// External extensions: found in the layers' /opt/extensions, started before the runtime by a small supervisor that
// runs inside the environment (the runtime's own process tree, sandbox and cgroup) and tags the extensions' output.
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The executable files of `<opt>/extensions`, by name (AWS starts every one of them). */
export async function findExtensions(optDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(optDir, 'extensions'));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names.sort()) {
    const st = await stat(join(optDir, 'extensions', n)).catch(() => undefined);
    if (st?.isFile() && (st.mode & 0o111) !== 0) out.push(n);
  }
  return out;
}

/** What the supervisor writes on its stdout for an extension's line or exit: `<RS><token> log|exit <name> <text>`. */
export const MARK = '\u001e';

export type SupervisorLine = { kind: 'log'; name: string; text: string } | { kind: 'exit'; name: string; reason: string };

/** Reads one supervisor line; undefined when it is the runtime's own output. */
export function parseSupervisorLine(line: string, token: string): SupervisorLine | undefined {
  if (!line.startsWith(MARK) || !line.startsWith(`${MARK}${token} `)) return undefined;
  const rest = line.slice(token.length + 2);
  const kind = rest.slice(0, rest.indexOf(' '));
  const after = rest.slice(kind.length + 1);
  const sp = after.indexOf(' ');
  const name = sp < 0 ? after : after.slice(0, sp);
  const text = sp < 0 ? '' : after.slice(sp + 1);
  if (kind === 'log') return { kind, name, text };
  if (kind === 'exit') return { kind, name, reason: text };
  return undefined;
}

/**
 * The supervisor itself, a bash script (a few MB, started in a millisecond or two; it ends by exec'ing the runtime,
 * so it adds no process to the runtime's own life). argv: token, extensions dir, extension names…, `--`, the
 * runtime command and its arguments. It starts every extension with the function's environment, tagging each line
 * of its output (and its exit) on stdout, waits until the platform says that they have all registered, then becomes
 * the runtime. The wait is one HTTP/1.0 exchange over bash's /dev/tcp.
 */
const SUPERVISOR = String.raw`
token=$1; dir=$2; shift 2
names=()
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do names+=("$1"); shift; done
shift
tag() { local l; while IFS= read -r l || [ -n "$l" ]; do printf '\036%s log %s %s\n' "$token" "$1" "$l"; done; }
reason() {
  if [ "$1" -gt 128 ]; then
    case $(kill -l $(($1 - 128)) 2>/dev/null) in KILL) echo 'signal: killed';; TERM) echo 'signal: terminated';; ABRT) echo 'signal: aborted';; SEGV) echo 'signal: segmentation fault';; *) echo "signal: $(($1 - 128))";; esac
  else echo "exit status $1"; fi
}
for name in "\${names[@]}"; do
  ( "$dir/$name" 2>&1 </dev/null | tag "$name"; st=\${PIPESTATUS[0]}; printf '\036%s exit %s %s\n' "$token" "$name" "$(reason "$st")" ) &
done
if [ "\${#names[@]}" -gt 0 ]; then
  api=$AWS_LAMBDA_RUNTIME_API
  until exec 3<>"/dev/tcp/\${api%:*}/\${api##*:}"; do sleep 0.01; done 2>/dev/null
  printf 'GET /2020-01-01/selfless/extensions/registered HTTP/1.0\r\n\r\n' >&3
  while IFS= read -r _ <&3; do :; done
  exec 3<&-
fi
exec /usr/bin/env -u SHLVL -u _ -u OLDPWD "$@"
`.replaceAll('\\${', '${');

/** The command an environment with external extensions runs instead of the bare runtime command. */
export function supervisorCommand(
  bash: string,
  extensionsDir: string,
  names: string[],
  runtime: { command: string; args: string[] },
): { command: string; args: string[]; token: string } {
  const token = randomBytes(12).toString('hex');
  return { command: bash, args: ['-c', SUPERVISOR, 'supervisor', token, extensionsDir, ...names, '--', runtime.command, ...runtime.args], token };
}

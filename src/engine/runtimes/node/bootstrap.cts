// selfless's Node.js runtime client: adopt a function (pre-start hand-over), run Init (load the handler), then serve
// invocations one at a time over the Runtime API exactly as AWS's Node runtime does. It is CommonJS (.cts) with as few
// modules as it needs: loaded as ES modules it cost each idle environment about 1.5 MB more (8.8 against 7.2 MB of
// private memory, measured 2026-12-04), and Node's HTTP client is loaded only for streamed responses.
import { buildContext } from './context.cjs';
import { log, patchConsole, setRequestId } from './console.cjs';
import { formatted, RuntimeError, toErrorBody } from './errors.cjs';
import { loadHandler, type Handler } from './loader.cjs';
import { RuntimeApi, type Invocation } from './rapid.cjs';
import { highWaterMarkOf, installGlobal, isStreaming, ResponseStream } from './streaming.cjs';

const api = new RuntimeApi(process.env['AWS_LAMBDA_RUNTIME_API'] ?? '127.0.0.1:9001');
/** The invocation in progress (for errors that escape the handler). */
let current: Invocation | undefined;
/** Run once when the event loop empties (callback handlers wait for it, as on AWS). */
let onEmptyLoop: (() => void) | undefined;

/** A pre-started process waits here until the pool assigns it a function, then becomes that function's runtime. */
async function adopt(): Promise<void> {
  if (process.env['SELFLESS_PRESTART'] !== '1') return;
  const env = await api.assignment();
  // Only what differs is touched: Node resets its time zone on every write of TZ (about 7 ms in a sandbox), and the
  // pre-started process already has the function's TZ.
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) if (process.env[k] !== v) process.env[k] = v;
  if (env['LAMBDA_TASK_ROOT']) process.chdir(env['LAMBDA_TASK_ROOT']);
  // Node reads NODE_PATH once at start-up; re-read it so layers' node_modules resolve for the assigned function.
  (require('node:module') as { _initPaths(): void })._initPaths();
}

function fatal(e: unknown, kind: 'Uncaught Exception' | 'Unhandled Promise Rejection', exitCode: number): void {
  const body =
    kind === 'Unhandled Promise Rejection'
      ? { errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, trace: toErrorBody(e).trace }
      : toErrorBody(e);
  log('ERROR', `${kind} \t${JSON.stringify(body)}`);
  const inv = current;
  current = undefined;
  const post = inv ? api.error(inv.requestId, body, true) : api.initError(body);
  post.catch(() => undefined).finally(() => process.exit(exitCode));
}

function serialise(result: unknown): string {
  return JSON.stringify(result === undefined ? null : result);
}

/** Posts the outcome; resolves with the next invocation when the platform chained it onto the response. */
async function finish(inv: Invocation, err: unknown, result: unknown, failed: boolean): Promise<Invocation | undefined> {
  if (current !== inv) return undefined;
  current = undefined;
  if (failed) {
    log('ERROR', `Invoke Error ${formatted(err)}`);
    await api.error(inv.requestId, toErrorBody(err));
    return undefined;
  }
  let text: string;
  try {
    text = serialise(result);
  } catch (e) {
    log('ERROR', `Invoke Error ${formatted(e)}`);
    await api.error(inv.requestId, toErrorBody(e));
    return undefined;
  }
  return api.responseThenNext(inv.requestId, text);
}

async function invokeStreaming(handler: Handler, inv: Invocation, event: unknown): Promise<undefined> {
  const stream = new ResponseStream(api, inv.requestId, highWaterMarkOf(handler));
  const context = buildContext(inv, () => undefined);
  try {
    await (handler as unknown as (e: unknown, s: ResponseStream, c: object) => Promise<unknown>)(event, stream, context);
    if (!stream.writableEnded) stream.end();
    await stream.done();
  } catch (e) {
    log('ERROR', `Invoke Error ${formatted(e)}`);
    if (stream.opened) {
      stream.fail(e);
      await stream.done().catch(() => undefined);
    } else {
      await api.error(inv.requestId, toErrorBody(e));
    }
  } finally {
    current = undefined;
  }
  return undefined;
}

/** Runs one invocation; resolves with the next one when it arrived with the response's acknowledgement. */
function invokeOnce(handler: Handler, inv: Invocation): Promise<Invocation | undefined> {
  current = inv;
  setRequestId(inv.requestId);
  if (inv.traceId) process.env['_X_AMZN_TRACE_ID'] = inv.traceId;
  else delete process.env['_X_AMZN_TRACE_ID'];
  let event: unknown;
  try {
    event = JSON.parse(inv.body.toString('utf8'));
  } catch (e) {
    return finish(inv, e, undefined, true);
  }
  if (isStreaming(handler)) return invokeStreaming(handler, inv, event);
  return new Promise<Invocation | undefined>((resolve, reject) => {
    const done = (err: unknown, result: unknown): void => {
      onEmptyLoop = undefined;
      finish(inv, err, result, err !== null && err !== undefined).then(resolve, reject);
    };
    const callback = (err?: unknown, result?: unknown): void => {
      if (context.callbackWaitsForEmptyEventLoop) onEmptyLoop = () => done(err, result);
      else done(err, result);
    };
    const context = buildContext(inv, callback);
    // A handler that neither returns a promise nor calls back answers null once its work is done (AWS's rule).
    onEmptyLoop = () => done(null, null);
    let r: unknown;
    try {
      r = handler(event, context, callback);
    } catch (e) {
      done(e, undefined);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
      onEmptyLoop = () =>
        done(new RuntimeError('Runtime.NodeJsExit', 'Error: Runtime exited without providing a reason. This is most commonly caused by a Promise that was never settled.'), undefined);
      (r as Promise<unknown>).then(
        (res) => done(null, res),
        (e: unknown) => done(e ?? new Error('Promise rejected without a reason'), undefined),
      );
    }
  });
}

async function main(): Promise<void> {
  installGlobal();
  patchConsole();
  process.on('uncaughtException', (e) => fatal(e, 'Uncaught Exception', 129));
  process.on('unhandledRejection', (reason) => fatal(reason, 'Unhandled Promise Rejection', 128));
  process.on('beforeExit', () => {
    const f = onEmptyLoop;
    onEmptyLoop = undefined;
    f?.();
  });
  await adopt();
  let handler: Handler;
  try {
    handler = await loadHandler(process.env['LAMBDA_TASK_ROOT'] ?? process.cwd(), process.env['_HANDLER'] ?? '');
  } catch (e) {
    log('ERROR', `Uncaught Exception ${formatted(e)}`);
    await api.initError(toErrorBody(e)).catch(() => undefined);
    process.exit(129);
  }
  let inv = await api.next();
  for (;;) inv = (await invokeOnce(handler, inv)) ?? (await api.next());
}

main().catch((e: unknown) => {
  process.stderr.write(`selfless runtime: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

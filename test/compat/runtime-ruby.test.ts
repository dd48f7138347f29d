// Compatibility: Ruby functions (ruby3.2–3.4) on selfless's Ruby runtime client with the machine's ruby.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { removeServer } from '../helpers/server.js';
import { ROLE, lambdaClient } from '../helpers/lambda.js';
import { startInMode, type Mode, type ModeServer } from '../helpers/isolation.js';
import { zip } from '../helpers/zip.js';

let rubyVersion: string | undefined;
try {
  rubyVersion = execFileSync('ruby', ['-e', 'print RUBY_VERSION'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  rubyVersion = undefined;
}
const RUBY_SKIP = rubyVersion ? undefined : 'no ruby on PATH (Debian: apt-get install ruby)';
/** The runtime these tests use: the host's own version when AWS has it, else ruby3.2 on the host's ruby by fallback. */
const RUNTIME = rubyVersion && ['3.2', '3.3', '3.4'].includes(rubyVersion.split('.').slice(0, 2).join('.')) ? `ruby${rubyVersion.split('.').slice(0, 2).join('.')}` : 'ruby3.2';
const older = !!rubyVersion && RUNTIME === 'ruby3.2' && rubyVersion < '3.2';

const text = (b?: Uint8Array): string => Buffer.from(b ?? []).toString('utf8');
const json = (b?: Uint8Array): any => JSON.parse(text(b));
const logOf = (r: { LogResult?: string }): string => Buffer.from(r.LogResult ?? '', 'base64').toString('utf8');

const HELLO = `require 'json'
def lambda_handler(event:, context:)
  puts "hello-log-line for #{event['name']}"
  { 'message' => "Hello, #{event['name']}", 'ruby' => RUBY_VERSION, 'env' => ENV['AWS_EXECUTION_ENV'] }
end
`;
const CTX = `module Shop
  class Handler
    def self.process(event:, context:)
      { function_name: context.function_name, version: context.function_version, memory: context.memory_limit_in_mb,
        request_id: context.aws_request_id, arn: context.invoked_function_arn, log_group: context.log_group_name,
        log_stream: context.log_stream_name, remaining: context.get_remaining_time_in_millis, deadline: context.deadline_ms }
    end
  end
end
`;
const BOOM = `def handler(event:, context:)
  raise ArgumentError, "bad input: #{event}"
end
`;

for (const mode of ['sandbox', 'process', 'rootless'] as Mode[]) {
  describe(`Ruby runtime (isolation ${mode})`, { skip: RUBY_SKIP }, () => {
    let started: ModeServer;
    let client: LambdaClient;
    const skip = (): string | undefined => started?.skip;

    before(async () => {
      if (RUBY_SKIP) return;
      // The host's Debian ruby may be older than every Ruby runtime AWS has: the tests accept the nearest version.
      started = await startInMode(mode, [], undefined, older ? { SELFLESS_RUNTIME_FALLBACK: '1' } : {});
      if (started.server) client = lambdaClient(started.server.url);
    });
    after(async () => {
      if (started?.server) {
        await started.server.stop();
        await removeServer(started.server);
      }
    });

    const create = async (name: string, handler: string, files: Record<string, string>) =>
      client.send(
        new CreateFunctionCommand({ FunctionName: name, Runtime: RUNTIME as never, Role: ROLE, Handler: handler, Code: { ZipFile: await zip(files) }, Timeout: 20 }),
      );
    const invoke = (name: string, payload: string, tail = false) =>
      client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(payload), LogType: tail ? 'Tail' : undefined }));

    test('Ruby: a file.method handler gets the event and its puts line is in the log', async (t) => {
      if (skip()) return t.skip(skip());
      await create('hello', 'lambda_function.lambda_handler', { 'lambda_function.rb': HELLO });
      const r = await invoke('hello', '{"name":"Matz"}', true);
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      assert.deepEqual(json(r.Payload), { message: 'Hello, Matz', ruby: rubyVersion, env: `AWS_Lambda_${RUNTIME}` });
      assert.match(logOf(r), /hello-log-line for Matz/);
      if (older) {
        const res = await fetch(`${started.server!.url}/`, {
          method: 'POST',
          headers: { 'x-amz-target': 'Logs_20140328.FilterLogEvents', 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify({ logGroupName: '/aws/lambda/hello', filterPattern: '"runs on Ruby"' }),
        });
        const events = ((await res.json()) as { events: { message: string }[] }).events;
        assert.match(events[0]?.message ?? '', new RegExp(`${RUNTIME} runs on Ruby ${rubyVersion!.replace(/\./g, '\\.')}`));
      }
    });

    test('Ruby: a file.Module::Class.method handler gets a context with AWS Ruby context methods', async (t) => {
      if (skip()) return t.skip(skip());
      await create('ctx', 'shop.Shop::Handler.process', { 'shop.rb': CTX });
      const r = await invoke('ctx', '{}');
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      const c = json(r.Payload);
      assert.equal(c.function_name, 'ctx');
      assert.equal(c.version, '$LATEST');
      assert.equal(c.memory, '128');
      assert.match(c.request_id, /^[0-9a-f-]{36}$/);
      assert.equal(c.arn, 'arn:aws:lambda:us-east-1:000000000000:function:ctx');
      assert.equal(c.log_group, '/aws/lambda/ctx');
      assert.match(c.log_stream, /\[\$LATEST\]/);
      assert.ok(c.remaining > 0 && c.remaining <= 20_000, String(c.remaining));
      assert.ok(c.deadline > Date.now() - 60_000);
    });

    test("Ruby: a raised error is FunctionError 'Unhandled' with errorType Function<Class> and the backtrace", async (t) => {
      if (skip()) return t.skip(skip());
      await create('boom', 'boom.handler', { 'boom.rb': BOOM });
      const r = await invoke('boom', '"x"', true);
      assert.equal(r.FunctionError, 'Unhandled');
      const e = json(r.Payload);
      assert.equal(e.errorType, 'Function<ArgumentError>');
      assert.equal(e.errorMessage, 'bad input: x');
      assert.match(e.stackTrace[0], /boom\.rb:2:in `handler'/);
      assert.match(logOf(r), /Error raised from handler method/);
      // The environment survives a handled error.
      const again = await invoke('boom', '"y"');
      assert.equal(json(again.Payload).errorMessage, 'bad input: y');
    });

    test("Ruby: a handler that requires one of Ruby's bundled gems (rexml) loads it through RubyGems", async (t) => {
      if (skip()) return t.skip(skip());
      const src = "require 'rexml/document'\ndef handler(event:, context:)\n  REXML::Document.new(event['xml']).root.attributes['id']\nend\n";
      await create('xml', 'xml.handler', { 'xml.rb': src });
      const r = await invoke('xml', JSON.stringify({ xml: '<order id="o-7"/>' }));
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      assert.equal(json(r.Payload), 'o-7');
    });

    test('Ruby: a handler file that does not load fails init with Init<LoadError>', async (t) => {
      if (skip()) return t.skip(skip());
      await create('noload', 'missing.handler', { 'other.rb': 'x = 1' });
      const r = await invoke('noload', '{}');
      assert.equal(r.FunctionError, 'Unhandled');
      const e = json(r.Payload);
      assert.equal(e.errorType, 'Init<LoadError>');
      assert.match(e.errorMessage, /cannot load such file -- missing/);
    });
  });
}

test('Ruby: a runtime newer than the host ruby is refused at CreateFunction without --runtime-fallback', { skip: RUBY_SKIP }, async (t) => {
  if (!older) return t.skip(`this machine's ruby ${rubyVersion} runs ${RUNTIME}`);
  const started = await startInMode('process', [], undefined, { SELFLESS_RUNTIME_FALLBACK: '0' });
  try {
    const client = lambdaClient(started.server!.url);
    await assert.rejects(
      client.send(new CreateFunctionCommand({ FunctionName: 'r', Runtime: 'ruby3.3', Role: ROLE, Handler: 'a.b', Code: { ZipFile: await zip({ 'a.rb': '' }) } })),
      (e: Error & { name: string }) => {
        assert.equal(e.name, 'InvalidParameterValueException');
        assert.match(e.message, new RegExp(`ruby3\\.3 .*needs Ruby 3\\.3 and this host has Ruby ${rubyVersion!.replace(/\./g, '\\.')}.*--runtime-fallback`));
        return true;
      },
    );
  } finally {
    await started.server!.stop();
    await removeServer(started.server!);
  }
});

test('Ruby: without a ruby on PATH, ruby3.3 is refused at CreateFunction, naming what to install', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'selfless-nopath-'));
  const started = await startInMode('process', [], undefined, { PATH: empty });
  try {
    const client = lambdaClient(started.server!.url);
    await assert.rejects(
      client.send(new CreateFunctionCommand({ FunctionName: 'noruby', Runtime: 'ruby3.3', Role: ROLE, Handler: 'a.b', Code: { ZipFile: await zip({ 'a.rb': '' }) } })),
      (e: Error & { name: string }) => {
        assert.equal(e.name, 'InvalidParameterValueException');
        assert.match(e.message, /ruby3\.3 cannot run on this selfless host: no ruby was found on PATH\. To use it, install Ruby 3\.3/);
        return true;
      },
    );
  } finally {
    await started.server!.stop();
    await removeServer(started.server!);
    rmSync(empty, { recursive: true, force: true });
  }
});

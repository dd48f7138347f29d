// Compatibility: Java functions (java11/17/21) on selfless's Java runtime client, with jars compiled here by javac.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ROOT, removeServer } from '../helpers/server.js';
import { ROLE, lambdaClient } from '../helpers/lambda.js';
import { startInMode, type Mode, type ModeServer } from '../helpers/isolation.js';
import { zip } from '../helpers/zip.js';

const JAVAC = ['/usr/bin/javac', process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'javac') : ''].find((p) => p && existsSync(p));
const JAR = JAVAC ? join(dirname(JAVAC), 'jar') : undefined;
const JDK_SKIP = !JAVAC || !JAR || !existsSync(JAR) ? 'no JDK (javac and jar) on this machine' : undefined;
const INTERFACES = join(ROOT, 'src', 'engine', 'runtimes', 'java');

const HANDLERS: Record<string, string> = {
  'example/Hello.java': `package example;
import com.amazonaws.services.lambda.runtime.*;
import java.util.Map;
public class Hello implements RequestHandler<Map<String, Object>, String> {
  public String handleRequest(Map<String, Object> event, Context context) {
    context.getLogger().log("hello-log-line for " + event.get("name"));
    return "Hello, " + event.get("name") + " (" + event.get("count").getClass().getSimpleName() + ")";
  }
}`,
  'example/Order.java': `package example;
import java.util.List;
public class Order {
  private String customer; private int quantity; private List<Item> items;
  public String getCustomer() { return customer; } public void setCustomer(String c) { customer = c; }
  public int getQuantity() { return quantity; } public void setQuantity(int q) { quantity = q; }
  public List<Item> getItems() { return items; } public void setItems(List<Item> i) { items = i; }
  public static class Item { public String sku; public double price; }
}`,
  'example/Receipt.java': `package example;
public class Receipt {
  private final String message; private final double total; public boolean paid = true; public String none = null;
  public Receipt(String m, double t) { message = m; total = t; }
  public String getMessage() { return message; } public double getTotal() { return total; }
}`,
  'example/Orders.java': `package example;
import com.amazonaws.services.lambda.runtime.Context;
public class Orders {
  public Receipt place(Order o, Context context) {
    double total = 0; for (Order.Item i : o.getItems()) total += i.price * o.getQuantity();
    return new Receipt(o.getCustomer() + " ordered " + o.getItems().size() + " items", total);
  }
}`,
  'example/Upper.java': `package example;
import com.amazonaws.services.lambda.runtime.*;
import java.io.*;
public class Upper implements RequestStreamHandler {
  public void handleRequest(InputStream in, OutputStream out, Context context) throws IOException {
    out.write(new String(in.readAllBytes(), "UTF-8").toUpperCase().getBytes("UTF-8"));
  }
}`,
  'example/Ctx.java': `package example;
import com.amazonaws.services.lambda.runtime.*;
import java.util.*;
public class Ctx implements RequestHandler<Object, Map<String, Object>> {
  public Map<String, Object> handleRequest(Object in, Context c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("functionName", c.getFunctionName()); m.put("version", c.getFunctionVersion());
    m.put("memory", c.getMemoryLimitInMB()); m.put("requestId", c.getAwsRequestId());
    m.put("arn", c.getInvokedFunctionArn()); m.put("logGroup", c.getLogGroupName()); m.put("logStream", c.getLogStreamName());
    m.put("remaining", c.getRemainingTimeInMillis()); m.put("greeting", System.getProperty("greeting"));
    m.put("maxHeapMB", Runtime.getRuntime().maxMemory() / 1048576); m.put("execEnv", System.getenv("AWS_EXECUTION_ENV"));
    ClientContext cc = c.getClientContext();
    if (cc != null) { m.put("custom", cc.getCustom()); m.put("appTitle", cc.getClient() == null ? null : cc.getClient().getAppTitle()); }
    return m;
  }
}`,
  'example/Boom.java': `package example;
import com.amazonaws.services.lambda.runtime.*;
public class Boom implements RequestHandler<String, String> {
  public String handleRequest(String in, Context c) {
    throw new IllegalStateException("boom: " + in, new java.io.IOException("disk on fire"));
  }
}`,
};

const LIB: Record<string, string> = {
  'util/Greeter.java': 'package util;\npublic final class Greeter { public static String greet(String n) { return "Greetings, " + n + " from lib"; } }',
};
const USES_LIB: Record<string, string> = {
  'example/UsesLib.java': 'package example;\npublic class UsesLib { public static String handle(String name) { return util.Greeter.greet(name); } }',
};

/** Every file below a directory, as zip entries (path → bytes). */
function tree(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p);
    }
  };
  walk(dir);
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'selfless-java-'));
let coreJar = '';
let handlersJar: Buffer;
let libZip: Buffer;

function compile(name: string, sources: Record<string, string>, classpath: string[]): string {
  const src = join(work, name, 'src');
  const out = join(work, name, 'classes');
  mkdirSync(out, { recursive: true });
  const files = Object.entries(sources).map(([p, text]) => {
    mkdirSync(dirname(join(src, p)), { recursive: true });
    writeFileSync(join(src, p), text);
    return join(src, p);
  });
  execFileSync(JAVAC!, ['--release', '11', '-cp', classpath.join(':') || '.', '-d', out, ...files], { stdio: 'pipe' });
  return out;
}

function jar(classes: string, file: string): string {
  execFileSync(JAR!, ['--create', '--file', file, '-C', classes, '.'], { stdio: 'pipe' });
  return file;
}

before(() => {
  if (JDK_SKIP) return;
  // aws-lambda-java-core's interfaces, as a jar built from selfless's sources: the handlers compile against it alone.
  const coreSources = Object.fromEntries(
    Object.entries(tree(join(INTERFACES, 'com'))).map(([p, b]) => [join('com', p), b.toString('utf8')]),
  );
  coreJar = jar(compile('core', coreSources, []), join(work, 'aws-lambda-java-core.jar'));
  handlersJar = readFileSync(jar(compile('handlers', HANDLERS, [coreJar]), join(work, 'handlers.jar')));
  const libJar = jar(compile('lib', LIB, []), join(work, 'greeter.jar'));
  compile('uses-lib', USES_LIB, [libJar]);
});

after(() => rmSync(work, { recursive: true, force: true }));

const text = (b?: Uint8Array): string => Buffer.from(b ?? []).toString('utf8');
const json = (b?: Uint8Array): any => JSON.parse(text(b));
const logOf = (r: { LogResult?: string }): string => Buffer.from(r.LogResult ?? '', 'base64').toString('utf8');

/** CloudWatch Logs' FilterLogEvents on a function's log group. */
async function filterLog(url: string, group: string, pattern: string): Promise<{ message: string; logStreamName: string }[]> {
  const res = await fetch(`${url}/`, {
    method: 'POST',
    headers: { 'x-amz-target': 'Logs_20140328.FilterLogEvents', 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ logGroupName: group, filterPattern: pattern }),
  });
  return ((await res.json()) as { events: { message: string; logStreamName: string }[] }).events;
}

for (const mode of ['sandbox', 'process', 'rootless'] as Mode[]) {
  describe(`Java runtime (isolation ${mode})`, { skip: JDK_SKIP }, () => {
    let started: ModeServer;
    let client: LambdaClient;
    const skip = (): string | undefined => started?.skip;

    before(async () => {
      if (JDK_SKIP) return;
      started = await startInMode(mode);
      if (started.server) client = lambdaClient(started.server.url);
    });
    after(async () => {
      if (started?.server) {
        await started.server.stop();
        await removeServer(started.server);
      }
    });

    const create = (name: string, handler: string, code: Buffer, o: { runtime?: string; env?: Record<string, string>; memory?: number } = {}) =>
      client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: (o.runtime ?? 'java17') as never,
          Role: ROLE,
          Handler: handler,
          Code: { ZipFile: code },
          MemorySize: o.memory ?? 512,
          Timeout: 30,
          Environment: o.env ? { Variables: o.env } : undefined,
        }),
      );
    const invoke = (name: string, payload: string, tail = false, clientContext?: object) =>
      client.send(
        new InvokeCommand({
          FunctionName: name,
          Payload: Buffer.from(payload),
          LogType: tail ? 'Tail' : undefined,
          ClientContext: clientContext ? Buffer.from(JSON.stringify(clientContext)).toString('base64') : undefined,
        }),
      );

    test('Java: a RequestHandler<Map, String> in a jar answers through the SDK, and its LambdaLogger line is in the log stream', async (t) => {
      if (skip()) return t.skip(skip());
      await create('hello', 'example.Hello', handlersJar);
      const r = await invoke('hello', '{"name":"Duke","count":3}', true);
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      assert.equal(json(r.Payload), 'Hello, Duke (Integer)');
      assert.match(logOf(r), /hello-log-line for Duke/);
      const events = await filterLog(started.server!.url, '/aws/lambda/hello', '"hello-log-line"');
      assert.equal(events.length, 1);
      assert.match(events[0]!.message, /^hello-log-line for Duke\n?$/);
      assert.match(events[0]!.logStreamName, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
      // Warm: the same JVM serves the next one.
      const again = await invoke('hello', '{"name":"again","count":1}');
      assert.equal(json(again.Payload), 'Hello, again (Integer)');
    });

    test('Java: a Class::method handler gets its event as a POJO (setters, public fields, nested lists) and returns one as JSON', async (t) => {
      if (skip()) return t.skip(skip());
      await create('orders', 'example.Orders::place', handlersJar, { runtime: 'java11' });
      const r = await invoke('orders', JSON.stringify({ customer: 'ana', Quantity: 2, items: [{ sku: 'a', price: 1.5 }, { sku: 'b', price: 2 }], unknown: true }));
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      // Getters and public fields; a null property is left out.
      assert.deepEqual(json(r.Payload), { paid: true, message: 'ana ordered 2 items', total: 7 });
    });

    test('Java: a RequestStreamHandler reads the raw payload and writes the raw response', async (t) => {
      if (skip()) return t.skip(skip());
      await create('upper', 'example.Upper', handlersJar);
      const r = await invoke('upper', '{"shout":"quiet"}');
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      assert.equal(text(r.Payload), '{"SHOUT":"QUIET"}');
    });

    test('Java: the Context has the function name, version, memory, request id, ARN, log names, remaining time and client context; JAVA_TOOL_OPTIONS and the heap from the memory size apply', async (t) => {
      if (skip()) return t.skip(skip());
      await create('ctx', 'example.Ctx::handleRequest', handlersJar, { memory: 256, env: { JAVA_TOOL_OPTIONS: '-Dgreeting=hi-from-tool-options' } });
      const r = await invoke('ctx', 'null', true, { client: { app_title: 'shop' }, custom: { tier: 'gold' } });
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      const c = json(r.Payload);
      assert.equal(c.functionName, 'ctx');
      assert.equal(c.version, '$LATEST');
      assert.equal(c.memory, 256);
      assert.match(c.requestId, /^[0-9a-f-]{36}$/);
      assert.equal(c.arn, 'arn:aws:lambda:us-east-1:000000000000:function:ctx');
      assert.equal(c.logGroup, '/aws/lambda/ctx');
      assert.match(c.logStream, /\[\$LATEST\]/);
      assert.ok(c.remaining > 0 && c.remaining <= 30_000, String(c.remaining));
      assert.equal(c.greeting, 'hi-from-tool-options');
      assert.equal(c.execEnv, 'AWS_Lambda_java17');
      assert.deepEqual(c.custom, { tier: 'gold' });
      assert.equal(c.appTitle, 'shop');
      assert.ok(c.maxHeapMB <= 256 * 0.85 && c.maxHeapMB > 100, String(c.maxHeapMB));
      // The JVM says so on stderr while it starts (the init phase, before START).
      const found = await filterLog(started.server!.url, '/aws/lambda/ctx', '"Picked up JAVA_TOOL_OPTIONS"');
      assert.match(found[0]?.message ?? '', /Picked up JAVA_TOOL_OPTIONS: -Dgreeting=hi-from-tool-options/);
    });

    test("Java: an exception is FunctionError 'Unhandled' with errorMessage, errorType (the class), stackTrace and cause", async (t) => {
      if (skip()) return t.skip(skip());
      await create('boom', 'example.Boom', handlersJar);
      const r = await invoke('boom', '"now"', true);
      assert.equal(r.FunctionError, 'Unhandled');
      const e = json(r.Payload);
      assert.equal(e.errorMessage, 'boom: now');
      assert.equal(e.errorType, 'java.lang.IllegalStateException');
      assert.ok(Array.isArray(e.stackTrace));
      assert.match(e.stackTrace[0], /^example\.Boom\.handleRequest\(Boom\.java:\d+\)$/);
      assert.ok(!e.stackTrace.some((f: string) => f.startsWith('selfless.')), 'no runtime frames');
      assert.equal(e.cause.errorType, 'java.io.IOException');
      assert.equal(e.cause.errorMessage, 'disk on fire');
      assert.match(logOf(r), /java\.lang\.IllegalStateException: boom: now/);
    });

    test('Java: a zip with classes at the root and a lib/*.jar runs, its handler a static method', async (t) => {
      if (skip()) return t.skip(skip());
      const files = { ...tree(join(work, 'uses-lib', 'classes')), 'lib/greeter.jar': readFileSync(join(work, 'greeter.jar')) };
      await create('uses-lib', 'example.UsesLib::handle', await zip(files));
      const r = await invoke('uses-lib', '"zip"');
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      assert.equal(json(r.Payload), 'Greetings, zip from lib');
    });

    test('Java: an AWS_LAMBDA_EXEC_WRAPPER script runs with the JVM command as its arguments and can change its options', async (t) => {
      if (skip()) return t.skip(skip());
      const wrapper = '#!/bin/bash\nexport JAVA_TOOL_OPTIONS="-Dgreeting=from-wrapper"\nexec "$@"\n';
      const code = await zip([
        { name: 'lib/handlers.jar', content: handlersJar },
        { name: 'wrapper.sh', content: wrapper, mode: 0o100755 },
      ]);
      await create('wrapped', 'example.Ctx::handleRequest', code, { env: { AWS_LAMBDA_EXEC_WRAPPER: '/var/task/wrapper.sh' } });
      const r = await invoke('wrapped', 'null');
      assert.equal(r.FunctionError, undefined, text(r.Payload));
      assert.equal(json(r.Payload).greeting, 'from-wrapper');
    });

    test('Java: a handler class that does not exist fails init with ClassNotFoundException', async (t) => {
      if (skip()) return t.skip(skip());
      await create('missing', 'example.Nope::handle', handlersJar);
      const r = await invoke('missing', '{}');
      assert.equal(r.FunctionError, 'Unhandled');
      const e = json(r.Payload);
      assert.equal(e.errorType, 'java.lang.ClassNotFoundException');
      assert.equal(e.errorMessage, 'Class not found: example.Nope');
    });
  });
}

test('Java: java21 on a JDK older than 21 is refused at CreateFunction, naming the JDK to install', { skip: JDK_SKIP }, async (t) => {
  const version = execFileSync(JAVAC!, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = Number(/javac (\d+)/.exec(version)?.[1] ?? 0);
  if (m >= 21) return t.skip(`this machine's JDK is ${m}: java21 runs`);
  const started = await startInMode('process');
  try {
    const client = lambdaClient(started.server!.url);
    await assert.rejects(
      client.send(new CreateFunctionCommand({ FunctionName: 'j21', Runtime: 'java21', Role: ROLE, Handler: 'example.Hello', Code: { ZipFile: handlersJar } })),
      (e: Error & { name: string }) => {
        assert.equal(e.name, 'InvalidParameterValueException');
        assert.match(e.message, /java21 .*needs JDK 21 or later.*openjdk-21-jdk-headless.*--runtime-fallback/);
        return true;
      },
    );
  } finally {
    await started.server!.stop();
    await removeServer(started.server!);
  }
});

test('Java: without a JDK on PATH (nor JAVA_HOME), java17 is refused at CreateFunction, naming what to install', async () => {
  // A PATH with nothing on it: the server itself is started by its absolute node path.
  const empty = mkdtempSync(join(tmpdir(), 'selfless-nopath-'));
  const started = await startInMode('process', [], undefined, { PATH: empty, JAVA_HOME: '' });
  try {
    const client = lambdaClient(started.server!.url);
    await assert.rejects(
      client.send(new CreateFunctionCommand({ FunctionName: 'nojdk', Runtime: 'java17', Role: ROLE, Handler: 'example.Hello', Code: { ZipFile: await zip({ 'a.txt': 'x' }) } })),
      (e: Error & { name: string }) => {
        assert.equal(e.name, 'InvalidParameterValueException');
        assert.match(e.message, /java17 cannot run on this selfless host: no Java runtime was found .*install a JDK 17 or later .*openjdk-17-jdk-headless/);
        return true;
      },
    );
  } finally {
    await started.server!.stop();
    await removeServer(started.server!);
    rmSync(empty, { recursive: true, force: true });
  }
});

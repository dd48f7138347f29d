// The Lambda runtime list: which identifiers exist, which selfless runs, and which AWS has deprecated.
import { javaProblem } from '../../engine/java.js';
import { rubyProblem } from '../../engine/ruby.js';

/** Every value of the model's Runtime enum. */
export const MODEL_RUNTIMES = [
  'nodejs', 'nodejs4.3', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'nodejs14.x', 'nodejs16.x', 'java8', 'java8.al2', 'java11',
  'python2.7', 'python3.6', 'python3.7', 'python3.8', 'python3.9', 'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1', 'dotnetcore3.1',
  'dotnet6', 'dotnet8', 'nodejs4.3-edge', 'go1.x', 'ruby2.5', 'ruby2.7', 'provided', 'provided.al2', 'nodejs18.x', 'python3.10', 'java17',
  'ruby3.2', 'ruby3.3', 'ruby3.4', 'python3.11', 'nodejs20.x', 'provided.al2023', 'python3.12', 'java21', 'python3.13', 'nodejs22.x',
  'nodejs24.x', 'python3.14', 'java25', 'dotnet10', 'ruby4.0',
] as const;

/** What selfless runs (each node/python one only where the server has its interpreter: engine/interpreters.ts). */
export const SUPPORTED_RUNTIMES = [
  'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x', 'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14',
  'java11', 'java17', 'java21', 'ruby3.2', 'ruby3.3', 'ruby3.4', 'provided', 'provided.al2', 'provided.al2023',
] as const;

/** Runtimes AWS blocks for create and update, with the successor its message recommends. */
const DEPRECATED: Record<string, string> = {
  nodejs: 'nodejs22.x', 'nodejs4.3': 'nodejs22.x', 'nodejs6.10': 'nodejs22.x', 'nodejs8.10': 'nodejs22.x', 'nodejs10.x': 'nodejs22.x',
  'nodejs12.x': 'nodejs22.x', 'nodejs14.x': 'nodejs22.x', 'nodejs16.x': 'nodejs22.x', 'nodejs4.3-edge': 'nodejs22.x',
  'python2.7': 'python3.13', 'python3.6': 'python3.13', 'python3.7': 'python3.13', 'python3.8': 'python3.13',
  'dotnetcore1.0': 'dotnet8', 'dotnetcore2.0': 'dotnet8', 'dotnetcore2.1': 'dotnet8', 'dotnetcore3.1': 'dotnet8', dotnet6: 'dotnet8',
  'ruby2.5': 'ruby3.3', 'ruby2.7': 'ruby3.3', 'go1.x': 'provided.al2023', java8: 'java21',
};

export type RuntimeFamily = 'node' | 'python' | 'java' | 'ruby' | 'provided';

export const runtimeFamily = (runtime: string): RuntimeFamily =>
  runtime.startsWith('nodejs') ? 'node' : runtime.startsWith('python') ? 'python' : runtime.startsWith('java') ? 'java' : runtime.startsWith('ruby') ? 'ruby' : 'provided';

export type RuntimeCheck = { ok: true } | { ok: false; kind: 'unknown' | 'deprecated' | 'unsupported'; message: string };

export function checkRuntime(runtime: string): RuntimeCheck {
  if (!(MODEL_RUNTIMES as readonly string[]).includes(runtime)) {
    return {
      ok: false,
      kind: 'unknown',
      message: `Member must satisfy enum value set: [${MODEL_RUNTIMES.join(', ')}]`,
    };
  }
  const successor = DEPRECATED[runtime];
  if (successor) {
    return {
      ok: false,
      kind: 'deprecated',
      message: `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (${successor}) while creating or updating functions.`,
    };
  }
  if (!(SUPPORTED_RUNTIMES as readonly string[]).includes(runtime)) {
    return {
      ok: false,
      kind: 'unsupported',
      message: `The runtime parameter of ${runtime} is not supported by selfless. Supported runtimes: ${SUPPORTED_RUNTIMES.join(', ')}.`,
    };
  }
  // Java and Ruby run on the host's JDK and ruby: refused with what to install when there is none (or too old a one).
  const problem = runtime.startsWith('java') ? javaProblem(runtime) : runtime.startsWith('ruby') ? rubyProblem(runtime) : undefined;
  if (problem) return { ok: false, kind: 'unsupported', message: problem };
  return { ok: true };
}

// The user's choice to run a runtime on the nearest older interpreter the host has (--runtime-fallback).

let chosen: boolean | undefined;

/** Set by the server's options; SELFLESS_RUNTIME_FALLBACK=1 turns it on where no option is given. */
export function setRuntimeFallback(on: boolean): void {
  chosen = on;
}

export const runtimeFallback = (): boolean => chosen ?? process.env['SELFLESS_RUNTIME_FALLBACK'] === '1';

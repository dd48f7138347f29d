// The error an AWS SDK v3 call fails with, as tests compare it: the error's name (AWS's code), HTTP status, message.

export interface SdkFailure {
  name: string;
  status: number | undefined;
  message: string;
}

/** The error `p` rejects with; fails the test when the call succeeds. */
export async function failure(p: Promise<unknown>): Promise<SdkFailure> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  throw new Error('the call succeeded, where it should have failed');
}

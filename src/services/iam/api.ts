// IAM's wire handlers (query protocol, 2010-05-08): the dispatch by Action to the handler tables.
import type { IncomingMessage } from 'node:http';
import { AwsError } from '../../lib/errors.js';
import { credentialScope } from '../../server/sigv4.js';
import type { ApiRequest, ApiResponse, ServiceRoutes } from '../../server/types.js';
import type { Access } from './access.js';
import type { Credentials } from './credentials.js';
import type { Directory } from './directory.js';
import { answer } from './form.js';
import type { Policies } from './policies.js';
import { rootCaller, VERSION, XMLNS, type Ctx, type Op } from './shapes.js';
import { USER_OPS } from './api-users.js';
import { ROLE_OPS } from './api-roles.js';
import { POLICY_OPS } from './api-policies.js';
import { ACCOUNT_OPS } from './api-account.js';

const OPS: Record<string, Op> = { ...USER_OPS, ...ROLE_OPS, ...POLICY_OPS, ...ACCOUNT_OPS };

export function iamRoutes(o: { dir: Directory; policies: Policies; creds: Credentials; access: Access; accountId: string }): ServiceRoutes {
  return {
    query: [
      {
        matches(form: URLSearchParams, req: IncomingMessage): boolean {
          const scope = credentialScope(req.headers, new URLSearchParams((req.url ?? '').split('?')[1] ?? ''));
          if (scope && scope.service !== 'iam') return false;
          return form.get('Version') === VERSION || (scope?.service === 'iam' && form.get('Version') === null);
        },
        async handle(req: ApiRequest, form: URLSearchParams): Promise<ApiResponse> {
          const action = form.get('Action') ?? '';
          const op = Object.prototype.hasOwnProperty.call(OPS, action) ? OPS[action] : undefined;
          if (!op) throw new AwsError('InvalidAction', `Could not find operation ${action} for version ${VERSION}`, { status: 400 });
          const c: Ctx = { ...o, region: req.region, caller: req.caller ?? rootCaller(o.accountId) };
          const result = await op(c, form);
          return { status: 200, headers: { 'content-type': 'text/xml' }, body: answer(XMLNS, action, result, req.requestId) };
        },
      },
    ],
  };
}

// The gateway's route table API: PUT/GET/DELETE /_selfless/gateway/apis/{ApiId} and a list, JSON in and out.
import { AwsError } from '../../lib/errors.js';
import type { RestRoute } from '../../server/types.js';
import { parseJsonBody, shape } from '../../lib/validate.js';
import { ApiShape, type RouteTable, type StoredApi } from './routes.js';

const wire = (a: StoredApi, baseUrl: string): Record<string, unknown> => {
  const port = new URL(baseUrl).port;
  const stage = a.type !== 'ALB' && a.stage !== '$default' ? `/${a.stage}` : '';
  return {
    ...a,
    url: `http://${a.id}.execute-api.localhost${port ? `:${port}` : ''}${stage}/`,
    pathUrl: `${baseUrl}/gateway/${a.id}${stage}/`,
  };
};

export function gatewayApiRoutes(table: RouteTable): RestRoute[] {
  const need = (id: string): StoredApi => {
    const a = table.get(id)?.api;
    if (!a) throw new AwsError('NotFound', `API ${id} not found.`);
    return a;
  };
  return [
    {
      op: 'PutGatewayApi',
      method: 'PUT',
      path: '/_selfless/gateway/apis/{ApiId}',
      handler: async (req) => {
        const def = shape(ApiShape, parseJsonBody(req.body));
        const api = await table.put(req.params['ApiId'] ?? '', def, req.region);
        return { status: 200, body: wire(api, req.baseUrl) };
      },
    },
    { op: 'GetGatewayApi', method: 'GET', path: '/_selfless/gateway/apis/{ApiId}', handler: async (req) => ({ body: wire(need(req.params['ApiId'] ?? ''), req.baseUrl) }) },
    { op: 'ListGatewayApis', method: 'GET', path: '/_selfless/gateway/apis', handler: async (req) => ({ body: { apis: table.list().map((a) => wire(a, req.baseUrl)) } }) },
    {
      op: 'DeleteGatewayApi',
      method: 'DELETE',
      path: '/_selfless/gateway/apis/{ApiId}',
      handler: async (req) => {
        need(req.params['ApiId'] ?? '');
        await table.delete(req.params['ApiId'] ?? '');
        return { status: 204 };
      },
    },
  ];
}

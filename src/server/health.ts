// `GET /_selfless/health`: the node's services in list order with their state; 200 when all run, 503 otherwise.
import type { ServiceRoutes } from './types.js';

const PATH = '/_selfless/health';

export function healthRoutes(states: () => { name: string; state: string }[]): ServiceRoutes {
  return {
    raw: [
      {
        name: 'health',
        claims: (_req, url) => url.pathname === PATH || url.pathname === `${PATH}/`,
        async handle(req, res) {
          const services = states();
          const ok = services.every((s) => s.state === 'running');
          const body = JSON.stringify({ status: ok ? 'ok' : 'unavailable', services });
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(req.method === 'HEAD' ? undefined : body);
        },
      },
    ],
  };
}

// The cluster service: `GET /_selfless/cluster` lists the live nodes of this region (one on the embedded store).
import type { Engine } from '../../engine/engine.js';
import type { ServiceModule } from '../../server/service.js';

export interface ClusterApi {
  /** How many execution environments this node runs now. */
  environments(): number;
}

const PATH = '/_selfless/cluster';

export const clusterService: ServiceModule<{ engine: Engine }, ClusterApi> = {
  name: 'cluster',
  async create(ctx) {
    const environments = (): number => ctx.deps.engine.pool.live.size;
    ctx.cluster.membership.environmentsOf(environments);
    return {
      api: { environments },
      routes: {
        raw: [
          {
            name: 'cluster',
            claims: (req, url) => url.pathname === PATH || url.pathname === `${PATH}/`,
            async handle(req, res) {
              if (req.method !== 'GET' && req.method !== 'HEAD') {
                res.writeHead(405, { allow: 'GET', 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Use GET.' }));
                return;
              }
              const nodes = await ctx.cluster.membership.live();
              const body = JSON.stringify({
                store: ctx.store.kind,
                self: ctx.cluster.nodeId,
                nodes: nodes.map((n) => ({
                  id: n.id,
                  address: n.address,
                  started: new Date(n.startedAt).toISOString(),
                  lastHeartbeat: new Date(n.heartbeatAt).toISOString(),
                  environments: n.id === ctx.cluster.nodeId ? environments() : n.environments,
                })),
              });
              res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(req.method === 'HEAD' ? undefined : body);
            },
          },
        ],
      },
      start: async () => undefined,
      stop: async () => undefined,
    };
  },
};

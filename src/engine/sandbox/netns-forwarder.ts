// Runs on the host side inside a no-network environment's network namespace (entered with nsenter, never inside the
// sandbox): listens on the loopback address that the function's AWS_LAMBDA_RUNTIME_API names and relays each
// connection to the platform's unix socket, so a function without network still reaches its own Runtime API.
import { connect, createServer } from 'node:net';

const [port, socketPath] = process.argv.slice(2);
if (!port || !socketPath) {
  process.stderr.write('usage: netns-forwarder <port> <unix socket>\n');
  process.exit(2);
}
const server = createServer({ noDelay: true }, (inner) => {
  const outer = connect(socketPath);
  inner.pipe(outer);
  outer.pipe(inner);
  inner.on('error', () => outer.destroy());
  outer.on('error', () => inner.destroy());
  inner.on('close', () => outer.destroy());
  outer.on('close', () => inner.destroy());
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
// The platform ends this process with the environment; a closed stdin means the platform is gone.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

// The identity provider's key endpoint for the benchmark: a tiny node:http server on 127.0.0.1 in its own process.
// Receives `{ type: 'start', jwks }` over IPC, serves it at /jwks.json (and a discovery document at
// /.well-known/openid-configuration), and answers `{ type: 'ready', port }`. Exits on `{ type: 'close' }` or when
// the parent goes away.
import { createServer } from 'node:http';

let server;

process.on('message', (message) => {
  if (message?.type === 'start') {
    const jwks = JSON.stringify(message.jwks);
    let origin = '';
    server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
      } else if (path === '/.well-known/openid-configuration') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ issuer: message.issuer, jwks_uri: `${origin}/jwks.json` }));
      } else {
        res.writeHead(404).end();
      }
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      origin = `http://127.0.0.1:${port}`;
      process.send({ type: 'ready', port });
    });
  } else if (message?.type === 'close') {
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'loaded' });

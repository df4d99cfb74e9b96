// Subscribes to provreport's live report with the real graphql-ws client, as the
// dashboard does, and prints one JSON line per thing that happens, for the Go tests and
// benchmark in this folder to read.
//
// Usage: node subscribe.mjs CONFIG_JSON, where CONFIG_JSON has
//   url            ws://HOST/graphql
//   token          an API token with the reports:read scope, sent in connection_init
//   query          the subscription document
//   variables      its variables
//   subscriptions  how many identical subscriptions to open (default 1)
//   sockets        over how many websockets to spread them (default 1)
//
// Output lines: {"kind":"connected","socket":S}, {"kind":"next","sub":N,"t":MS,"payload":…},
// {"kind":"error","sub":N,"error":…}, {"kind":"complete","sub":N} and
// {"kind":"closed","socket":S,"code":C,"reason":R}. t is the wall-clock time of receipt
// in milliseconds since the Unix epoch, with sub-millisecond precision.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const cfg = JSON.parse(process.argv[2]);
const subscriptions = cfg.subscriptions ?? 1;
const sockets = Math.min(cfg.sockets ?? 1, subscriptions);
const now = () => performance.timeOrigin + performance.now();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const clients = [];
for (let s = 0; s < sockets; s++) {
  clients.push(
    createClient({
      url: cfg.url,
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${cfg.token}` },
      lazy: false,
      retryAttempts: 0,
      on: {
        connected: () => out({ kind: 'connected', socket: s }),
        closed: (e) => out({ kind: 'closed', socket: s, code: e?.code, reason: e?.reason }),
      },
    }),
  );
}

let open = subscriptions;
for (let n = 0; n < subscriptions; n++) {
  clients[n % sockets].subscribe(
    { query: cfg.query, variables: cfg.variables ?? {} },
    {
      next: (payload) => out({ kind: 'next', sub: n, t: now(), payload }),
      error: (e) =>
        out({
          kind: 'error',
          sub: n,
          error: Array.isArray(e) ? e : e instanceof Error ? e.message : { code: e?.code, reason: e?.reason },
        }),
      complete: () => {
        out({ kind: 'complete', sub: n });
        if (--open === 0) {
          clients.forEach((c) => c.dispose());
        }
      },
    },
  );
}

// The test ends this process by closing its standard input.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

// Connects to provreport with the real graphql-ws client, as a third-party agent would,
// with retryAttempts: 0, subscribes once, and prints one JSON line saying what the client
// saw: how many connection attempts it made, how often its error callback ran, the close
// codes and what else arrived.
//
// Usage: node refused.mjs CONFIG_JSON, where CONFIG_JSON has
//   url               ws://HOST/graphql
//   connectionParams  the connection_init payload (left out: none is sent)
//   query             the subscription document
//   watch             milliseconds to keep watching after the first error (default 1500)
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const cfg = JSON.parse(process.argv[2]);
const seen = { connecting: 0, connected: 0, closed: [], errors: [], next: 0, complete: 0, uncaught: [] };
// A client stuck reconnecting must still report what it saw.
process.on('uncaughtException', (e) => seen.uncaught.push(String(e)));
process.on('unhandledRejection', (e) => seen.uncaught.push(String(e)));

const client = createClient({
  url: cfg.url,
  webSocketImpl: WebSocket,
  connectionParams: cfg.connectionParams,
  lazy: true,
  retryAttempts: 0,
  on: {
    connecting: () => seen.connecting++,
    connected: () => seen.connected++,
    closed: (e) => seen.closed.push({ code: e?.code, reason: e?.reason }),
  },
});

let finish;
const finished = new Promise((resolve) => (finish = resolve));
client.subscribe(
  { query: cfg.query },
  {
    next: () => seen.next++,
    error: (e) => {
      seen.errors.push(e?.code ?? (e instanceof Error ? e.message : JSON.stringify(e)));
      setTimeout(finish, cfg.watch ?? 1500);
    },
    complete: () => {
      seen.complete++;
      finish();
    },
  },
);
setTimeout(finish, 20000);
await finished;
try {
  await client.dispose();
} catch (e) {
  seen.uncaught.push(String(e));
}
process.stdout.write(JSON.stringify(seen) + '\n');
process.exit(0);

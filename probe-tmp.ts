import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from './simulator';
import { rawRequest } from './simulator/test-support/raw-client';
import { createServer } from 'node:http';
(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'load-'));
  const sim = await startSimulator({ dataDir: dir });
  let got = 0;
  const srv = createServer((q, s) => { q.resume(); q.on('end', () => { got++; s.writeHead(204); s.end(); }); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as any).port}/n`;
  const id = sim.identity;
  const N = 1500;
  let t = Date.now();
  for (let i = 0; i < N; i++) {
    const a = await rawRequest(sim.url, id, { merchant: 'direct', method: 'POST', path: '/v3/pay/transactions/jsapi', body: { appid: id.direct.appid, mchid: id.direct.mchid, description: 'x', out_trade_no: `LOAD${i}xx`, notify_url: url, amount: { total: 1 }, payer: { openid: 'o' } } });
    if (a.status !== 200) throw new Error(a.text);
  }
  console.log('create', N, Date.now() - t, 'ms'); t = Date.now();
  for (let i = 0; i < N; i++) await sim.control.pay(`LOAD${i}xx`);
  console.log('pay', Date.now() - t, 'ms'); t = Date.now();
  await sim.control.advance(0);
  console.log('deliver', got, Date.now() - t, 'ms');
  t = Date.now(); await sim.close(); const s2 = await startSimulator({ dataDir: dir }); console.log('restart', Date.now() - t, 'ms');
  await s2.close(); srv.close(); rmSync(dir, { recursive: true, force: true });
})();

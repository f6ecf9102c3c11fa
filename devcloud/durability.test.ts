// The local cloud as a child process under concurrent write load, killed with SIGKILL mid-load and restarted on the
// same data directory: every acknowledged write must be there, and no transaction may be half applied.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { tempDir } from './test-support/temp';

const ROOT = resolve(__dirname, '..');
const FIXTURES = join(__dirname, 'fixtures');
const START_BALANCE = 1_000_000;

interface Stack {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

function startStack(dataDir: string): Promise<Stack> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(__dirname, 'cli.ts'),
      '--data-dir',
      dataDir,
      '--functions-dir',
      join(FIXTURES, 'functions'),
      '--collections',
      join(FIXTURES, 'collections.json'),
      '--port',
      '0',
      '--no-timers',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      done({ code, signal });
    });
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`local cloud did not start in 20 s: ${stderr}`));
    }, 20_000);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`local cloud exited before ready (code ${code}, signal ${signal}): ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { event?: string; url?: string };
      if (msg.event === 'devcloud.ready' && msg.url !== undefined) {
        clearTimeout(timer);
        ready({ child, url: msg.url, exited });
      }
    });
  });
}

async function call(url: string, event: Record<string, unknown>): Promise<{ ok?: boolean }> {
  const res = await fetch(`${url}/fn/ledger`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as { ok?: boolean };
}

async function adminRead(url: string, collection: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${url}/_devcloud/db/${collection}?limit=1000`);
  const body = (await res.json()) as { total: number; data: Record<string, unknown>[] };
  expect(body.data).toHaveLength(body.total);
  return body.data;
}

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

it('keeps every acknowledged write and no half transaction across kill -9', async () => {
  const tmp = tempDir();
  try {
    const first = await startStack(tmp.dir);
    await call(first.url, { action: 'seed', balanceFen: START_BALANCE });

    const ackedPuts: string[] = [];
    const ackedTransfers: string[] = [];
    let next = 0;
    let killed = false;
    const worker = async (w: number) => {
      while (!killed) {
        const i = next++;
        const id = `w${w}-${i}`;
        const event =
          i % 2 === 0 ? { action: 'put', key: id } : { action: 'transfer', transferId: id, amountFen: 1 };
        let answer: { ok?: boolean };
        try {
          answer = await call(first.url, event);
        } catch {
          return; // the stack is gone: this write is unacknowledged
        }
        if (answer.ok !== true) throw new Error(`write ${id} was refused: ${JSON.stringify(answer)}`);
        (event.action === 'put' ? ackedPuts : ackedTransfers).push(id);
        if (!killed && ackedPuts.length + ackedTransfers.length >= 160) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_x, w) => worker(w)));
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(ackedTransfers.length).toBeGreaterThan(40);

    const second = await startStack(tmp.dir);
    const puts = new Set((await adminRead(second.url, 'puts')).map((d) => d.key as string));
    const transfers = await adminRead(second.url, 'transfers');
    const ledger = Object.fromEntries(
      (await adminRead(second.url, 'ledger')).map((d) => [d._id, d.balanceFen as number]),
    );

    expect(ackedPuts.filter((k) => !puts.has(k))).toEqual([]);
    const transferIds = new Set(transfers.map((d) => d._id as string));
    expect(ackedTransfers.filter((k) => !transferIds.has(k))).toEqual([]);
    // Each transfer is one transaction over three documents: its record and both balances move together or not at all.
    expect(ledger.bob).toBe(transfers.length);
    expect(ledger.alice).toBe(START_BALANCE - transfers.length);

    expect(await call(second.url, { action: 'put', key: 'after-restart' })).toEqual(
      expect.objectContaining({ ok: true }),
    );
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  } finally {
    tmp.cleanup();
  }
});

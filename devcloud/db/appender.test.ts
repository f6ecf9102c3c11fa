import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../test-support/temp';
import { LineAppender } from './appender';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('LineAppender', () => {
  it('appends in order to what the file already holds, each line on disk when append returns', () => {
    const file = join(tmp.dir, 'c.db');
    writeFileSync(file, '{"_id":"a"}\n');
    const out = new LineAppender(file).open();
    out.append('{"_id":"b"}\n');
    // Another reader sees the line at once: it was handed to the OS, not buffered in this process.
    expect(readFileSync(file, 'utf8')).toBe('{"_id":"a"}\n{"_id":"b"}\n');
    out.append('{"_id":"c","text":"长城"}\n{"_id":"d"}\n');
    out.close();
    expect(readFileSync(file, 'utf8').split('\n')).toEqual([
      '{"_id":"a"}',
      '{"_id":"b"}',
      '{"_id":"c","text":"长城"}',
      '{"_id":"d"}',
      '',
    ]);
  });

  it('empties the file on truncate, and later appends start at its beginning', () => {
    const file = join(tmp.dir, '.journal');
    const out = new LineAppender(file).open();
    out.append('{"seq":1}\n');
    out.truncate();
    expect(readFileSync(file, 'utf8')).toBe('');
    out.append('{"seq":2}\n');
    out.close();
    expect(readFileSync(file, 'utf8')).toBe('{"seq":2}\n');
  });

  it('writes to the new file after reopen when the file was replaced by a rename (a compaction)', () => {
    const file = join(tmp.dir, 'c.db');
    const out = new LineAppender(file).open();
    out.append('old\n');
    writeFileSync(join(tmp.dir, 'c.db~'), 'compacted\n');
    renameSync(join(tmp.dir, 'c.db~'), file);
    out.reopen().append('after\n');
    out.close();
    expect(readFileSync(file, 'utf8')).toBe('compacted\nafter\n');
  });

  it('refuses to append when closed', () => {
    const out = new LineAppender(join(tmp.dir, 'c.db'));
    expect(() => out.append('x\n')).toThrow(/not open/);
    out.open().close();
    expect(out.isOpen).toBe(false);
    expect(() => out.append('x\n')).toThrow(/not open/);
  });
});

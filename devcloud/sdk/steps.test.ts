import { formatDepth, parseDepth, StepTracker } from './steps';

describe('dependent steps of an invocation', () => {
  it('counts steps started at the same frontier once and steps started after others finished after them', () => {
    const t = new StepTracker();
    const a = t.begin('db');
    const b = t.begin('db');
    a();
    b();
    expect(t.depth()).toEqual({ db: 1, pay: 0 });
    const c = t.begin('db');
    c();
    c();
    expect(t.depth()).toEqual({ db: 2, pay: 0 });
  });

  it('keeps the heaviest chain: a write that finished beside a WeChat Pay call does not lengthen what waited for the call', () => {
    const t = new StepTracker();
    t.begin('db')();
    const write = t.begin('db');
    const pay = t.begin('pay');
    write();
    pay();
    const save = t.begin('db');
    save();
    expect(t.depth()).toEqual({ db: 2, pay: 1 });
  });

  it('a step still running is not on the path yet', () => {
    const t = new StepTracker();
    t.begin('pay');
    expect(t.depth()).toEqual({ db: 0, pay: 0 });
  });

  it('writes and reads the header form', () => {
    expect(formatDepth({ db: 4, pay: 1 })).toBe('db=4,pay=1');
    expect(parseDepth('db=4,pay=1')).toEqual({ db: 4, pay: 1 });
    expect(parseDepth(undefined)).toBeNull();
    expect(parseDepth('db=x')).toBeNull();
  });
});

// A simulator running in another process, seen through the same handle an in-process one gives (SimulatorHandle), so a
// stack can use it (StackOptions.simulator): the control API over HTTP, the identity read once with its secrets, and
// the virtual clock mirrored locally so the functions' business clock stays a synchronous read.
import { SimControl } from '../../simulator/control-client';
import type { ClockView, SimulatorControl, SimulatorHandle } from '../../simulator';

/** A clock read from the simulator, advanced locally at its time scale until it is read again. */
class ClockMirror {
  private base = 0;
  private at = 0;
  private scale = 1;

  set(view: ClockView): ClockView {
    this.base = view.nowMs;
    this.at = Date.now();
    this.scale = view.timeScale;
    return view;
  }

  now(): number {
    return this.base + (Date.now() - this.at) * this.scale;
  }
}

/**
 * Connects to the simulator serving at `url`. Clock changes made through this handle's control (advance, time scale)
 * are seen by `now()` at once; changes made by anyone else are seen after `refreshClock()`. `close()` only forgets the
 * connection: the simulator's process belongs to whoever started it.
 */
export async function connectSimulator(
  url: string,
): Promise<SimulatorHandle & { refreshClock(): Promise<void> }> {
  const http = new SimControl(url);
  const clock = new ClockMirror();
  clock.set(await http.clock());
  const identity = await http.identityWithSecrets();
  // Every method is the HTTP client's; the clock-changing ones also update the mirror.
  const control = new Proxy(http, {
    get(target, prop, receiver) {
      if (prop === 'advance') return async (ms: number) => clock.set(await target.advance(ms));
      if (prop === 'setTimeScale')
        return async (timeScale: number) => clock.set(await target.setTimeScale(timeScale));
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as SimulatorControl;
  return {
    url,
    identity,
    control,
    now: () => clock.now(),
    refreshClock: async () => {
      clock.set(await http.clock());
    },
    close: () => Promise.resolve(),
  };
}

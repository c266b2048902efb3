import { connectionErrorReason } from './connection-labels';
import { formatHealthLine, healthChangeKey, type ComponentHealth, type HealthComponent } from './health';

/** One periodic check of the worker's health. */
export interface HealthProbe {
  component: HealthComponent;
  /** Checks once; a thrown error counts as down with the error as the reason. */
  probe(): Promise<Omit<ComponentHealth, 'component'>>;
  /** Time between checks while the component is up. @default the monitor's `intervalMs` */
  intervalMs?: number;
}

/** Options of {@link HealthMonitor}. */
export interface HealthMonitorOptions {
  probes: readonly HealthProbe[];
  /** Called with the first health line and with every line after a component went up or down. */
  onChange: (line: string, components: readonly ComponentHealth[]) => void;
  /** Time between checks; also the time between checks of a component that is down. @default 5000 */
  intervalMs?: number;
}

/**
 * Probes the worker's servers every few seconds and reports its health in one line, at
 * start and whenever a component goes up or down. Each probe runs on its own timer, so a
 * slow probe (a server-selection timeout) does not delay the others.
 */
export class HealthMonitor {
  private readonly intervalMs: number;
  private readonly latest = new Map<HealthComponent, ComponentHealth>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private lastKey: string | undefined;
  private stopped = false;

  constructor(private readonly options: HealthMonitorOptions) {
    this.intervalMs = options.intervalMs ?? 5_000;
  }

  /** Runs every probe once, reports the first line, then keeps probing until {@link stop}. */
  async start(): Promise<void> {
    await Promise.all(this.options.probes.map((probe) => this.check(probe)));
    this.report();
    for (const probe of this.options.probes) this.schedule(probe);
  }

  /** What the probes found last. */
  current(): ComponentHealth[] {
    return [...this.latest.values()];
  }

  /** Stops probing; a probe already running finishes without reporting. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(probe: HealthProbe): void {
    if (this.stopped) return;
    const up = this.latest.get(probe.component)?.ok === true;
    const delay = up ? (probe.intervalMs ?? this.intervalMs) : this.intervalMs;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.check(probe).then(() => {
        this.report();
        this.schedule(probe);
      });
    }, delay);
    // Health checks alone never keep the process alive.
    timer.unref();
    this.timers.add(timer);
  }

  private async check(probe: HealthProbe): Promise<void> {
    let outcome: Omit<ComponentHealth, 'component'>;
    try {
      outcome = await probe.probe();
    } catch (error) {
      outcome = { ok: false, detail: connectionErrorReason(error) };
    }
    this.latest.set(probe.component, { component: probe.component, ...outcome });
  }

  private report(): void {
    if (this.stopped) return;
    const components = this.current();
    const key = healthChangeKey(components);
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.options.onChange(formatHealthLine(components), components);
  }
}

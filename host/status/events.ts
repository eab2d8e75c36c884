/** The host's recent noteworthy events (failed calls, instance and executor restarts), newest last, bounded. */
export interface HostEvent {
  at: string;
  kind: "error" | "instance-restart" | "executor-restart";
  env: string;
  function?: string;
  status?: number;
  code?: string;
  message: string;
}

export class RecentEvents {
  private readonly events: HostEvent[] = [];

  constructor(private readonly limit = 100) {}

  add(event: Omit<HostEvent, "at">): void {
    this.events.push({ at: new Date().toISOString(), ...event });
    if (this.events.length > this.limit) this.events.shift();
  }

  list(): HostEvent[] {
    return [...this.events];
  }
}

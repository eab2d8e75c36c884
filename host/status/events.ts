/**
 * The host's recent noteworthy events (failed calls, instance and executor restarts), newest last, bounded in
 * number and in size: a message (which may quote a guest) is cut to MESSAGE_CHARS.
 */
import { cut } from "../../runtime/guest-output.ts";

const MESSAGE_CHARS = 1024;

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
    this.events.push({ at: new Date().toISOString(), ...event, message: cut(event.message, MESSAGE_CHARS) });
    if (this.events.length > this.limit) this.events.shift();
  }

  list(): HostEvent[] {
    return [...this.events];
  }
}

/**
 * A flood from a process of its own (so the flood's own work does not slow
 * the probes that measure it): `clients` closed loops POSTing one large body
 * to `path` until `seconds` pass, then a count of what came back.
 *   node --import tsx bench/load/flood.ts '<json: origin, path, body file, clients, seconds, deadlineMs>'
 */
import { readFileSync } from "node:fs";
import { Pool } from "undici";

interface FloodConfig {
  origin: string;
  path: string;
  bodyFile: string;
  clients: number;
  seconds: number;
  deadlineMs: number;
}

const cfg = JSON.parse(process.argv[2]!) as FloodConfig;
const body = readFileSync(cfg.bodyFile);
const pool = new Pool(cfg.origin, { connections: cfg.clients, headersTimeout: 0, bodyTimeout: 0 });
const counts = { sent: 0, ok: 0, shed: 0, late: 0, other: 0 };
const errors: Record<string, number> = {};
const end = performance.now() + cfg.seconds * 1000;
await Promise.all(
  Array.from({ length: cfg.clients }, async () => {
    while (performance.now() < end) {
      counts.sent++;
      try {
        const res = await pool.request({ method: "POST", path: cfg.path, body, headers: { "content-type": "application/json", "x-vial-deadline-ms": String(cfg.deadlineMs) } });
        await res.body.arrayBuffer();
        if (res.statusCode === 200) counts.ok++;
        else if (res.statusCode === 503) counts.shed++;
        else if (res.statusCode === 504) counts.late++;
        else counts.other++;
      } catch (error) {
        const code = (error as { code?: string }).code ?? (error as Error).message;
        errors[code] = (errors[code] ?? 0) + 1;
        counts.other++;
      }
    }
  }),
);
await pool.close();
process.send!({ ...counts, errors });

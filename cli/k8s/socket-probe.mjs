// Kubernetes exec probe for a host on a unix socket: `node socket-probe.mjs <socket> <path>`
// exits 0 when GET <path> answers 200. Plain JS: a probe must start in milliseconds, without tsx.
import { request } from "node:http";

const [socketPath, path] = process.argv.slice(2);
const req = request({ socketPath, path, timeout: 2000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on("timeout", () => req.destroy(new Error("timed out")));
req.on("error", (error) => {
  process.stderr.write(`${path}: ${error.message}\n`);
  process.exit(1);
});
req.end();

/** Starts the measurement child with given V8 flags and returns what it reports. */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { MeasureConfig } from "./measure.ts";
import type { PythonMeasureConfig } from "./measure-python.ts";

export function measureInChild<T>(cfg: MeasureConfig | PythonMeasureConfig, nodeFlags: string[], script = "./measure.ts"): Promise<T> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), [JSON.stringify(cfg)], {
    execArgv: [...nodeFlags, "--import", "tsx"],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (msg: T & { error?: string }) => {
      child.kill();
      if (msg.error) reject(new Error(msg.error));
      else resolve(msg);
    });
    child.once("exit", (code) => reject(new Error(`measurement child exited (code ${code}) without a result`)));
  });
}

import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import { readBody } from "../../host/body.ts";

/** An app that echoes what readBody read, as bytes. */
const echo = new Hono().post("/", async (c) => c.body((await readBody(c, { maxBytes: 1 << 20 })) as Uint8Array<ArrayBuffer>));

const streamOf = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });

const post = async (body: BodyInit, headers: Record<string, string> = {}) =>
  (await echo.request("/", { method: "POST", body, headers, duplex: "half" } as RequestInit)).text();

describe("readBody", () => {
  it("returns the bytes in order whether the length is declared, missing or wrong", async () => {
    expect(await post(streamOf("ab", "cd", "ef"), { "content-length": "6" })).toBe("abcdef");
    expect(await post(streamOf("ab", "cd", "ef"))).toBe("abcdef");
    // A web body that brings more than it declared keeps every byte, in order.
    expect(await post(streamOf("ab", "cd", "ef"), { "content-length": "3" })).toBe("abcdef");
    expect(await post(streamOf("ab", "cd"), { "content-length": "6" })).toBe("abcd");
  });
});

/** A scripted JSON-RPC peer on a real ZMQ ROUTER socket, for transport tests. */
import { inflateSync, deflateSync } from "node:zlib";
import { Router } from "zeromq";

export interface StubRequest {
  /** The raw bytes received. */
  raw: Buffer;
  compressed: boolean;
  /** The JSON text after inflating. */
  text: string;
  json: unknown;
}

type Reply = string | Buffer | null;
/** Returns the reply payload (string or raw bytes, maybe later), or null to never answer. */
export type StubHandler = (req: StubRequest, index: number) => Reply | Promise<Reply>;

export interface StubServer {
  url: string;
  requests: StubRequest[];
  close(): Promise<void>;
}

export const MAGIC = 0xabe85cea;

export function zip(text: string, announcedLength?: number): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt32BE(announcedLength ?? payload.length, 4);
  return Buffer.concat([header, deflateSync(payload)]);
}

export async function startStub(handler: StubHandler): Promise<StubServer> {
  const router = new Router({ linger: 0 });
  await router.bind("tcp://127.0.0.1:*");
  const requests: StubRequest[] = [];
  let sending: Promise<void> = Promise.resolve();
  const loop = (async () => {
    try {
      for await (const frames of router) {
        const [identity, delimiter, raw] = frames;
        const compressed = raw.length >= 8 && raw.readUInt32BE(0) === MAGIC;
        const text = (compressed ? inflateSync(raw.subarray(8)) : raw).toString("utf8");
        const req: StubRequest = { raw, compressed, text, json: JSON.parse(text) };
        requests.push(req);
        void Promise.resolve(handler(req, requests.length - 1)).then((reply) => {
          if (reply === null) return;
          sending = sending
            .then(() => router.send([identity, delimiter, reply]))
            .catch(() => undefined);
        });
      }
    } catch {
      // closed
    }
  })();
  return {
    url: router.lastEndpoint!,
    requests,
    async close() {
      await sending;
      router.close();
      await loop;
    },
  };
}

type Envelope = { id: unknown; method: string; params: Record<string, unknown> };

/** Answers every request of a message (single or batch) with `result(method, params)`. */
export function answerAll(result: (e: Envelope) => unknown): (req: StubRequest) => string {
  return (req) => {
    const one = (e: Envelope): unknown => ({ id: e.id, jsonrpc: "2.0", result: result(e) });
    const out = Array.isArray(req.json)
      ? (req.json as Envelope[]).map(one)
      : one(req.json as Envelope);
    return JSON.stringify(out) + "\n";
  };
}

// Reading what a request carries: query values checked into typed ones (the sentence names the parameter), and
// a POST body bounded in size that must be empty or a JSON object.

import type { IncomingMessage } from "node:http";
import { JOB_NAME_PATTERN } from "../protocol/jobspec.js";
import { HttpError } from "./respond.js";

const MAX_BODY_BYTES = 64 * 1024;
const JOB_NAME = new RegExp(JOB_NAME_PATTERN);

export function jobNameParam(text: string, where: string): string {
  if (!JOB_NAME.test(text)) {
    throw new HttpError(400, `${where}: "${text.slice(0, 80)}" is not a job name ([A-Za-z0-9_.-], 1 to 64).`);
  }
  return text;
}

/** `?wait=`: absent or 1/true waits for the outcome, 0/false answers at once. */
export function waitParam(query: URLSearchParams): boolean {
  const value = query.get("wait");
  if (value === null || value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new HttpError(400, `?wait= takes 1, 0, true or false, not "${value.slice(0, 40)}".`);
}

export function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const value = query.get(name);
  if (value === null) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) > max) {
    throw new HttpError(400, `?${name}= takes a whole number from 0 to ${max}, not "${value.slice(0, 40)}".`);
  }
  return Number(value);
}

/**
 * The body of a POST: nothing, or a JSON object of at most 64 KiB. Over the limit it stops reading and answers
 * 413 with `connection: close`; the request stream is left alone (destroying it, as leaving a `for await`
 * early does, takes the socket with it while god still answers on it).
 */
export function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const tooBig = () =>
    new HttpError(413, "the request body is over 64 KiB; god's POSTs take {}.", { connection: "close" });
  if (Number(req.headers["content-length"]) > MAX_BODY_BYTES) return Promise.reject(tooBig());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (error: Error | null) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      if (error !== null) reject(error);
      else {
        try {
          resolve(parseBody(Buffer.concat(chunks).toString("utf8")));
        } catch (parseError) {
          reject(parseError);
        }
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) done(tooBig());
      else chunks.push(chunk);
    };
    const onEnd = () => done(null);
    const onError = (error: Error) =>
      done(new HttpError(400, `the request body could not be read: ${error.message}`));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

function parseBody(raw: string): Record<string, unknown> {
  const text = raw.trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "the request body is not JSON; send {} or nothing.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "the request body must be a JSON object, such as {}.");
  }
  return value as Record<string, unknown>;
}

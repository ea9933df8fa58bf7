/**
 * Webhook signing (contract §5): `X-Agentwatch-Signature: sha256=<hex HMAC-SHA256 of
 * "<timestamp>.<raw body>">` with the receiver's secret, and `X-Agentwatch-Timestamp` in unix
 * seconds. Receivers verify with `verifySignature` (or the same few lines in their language) and
 * reject stale timestamps to stop replays.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const TIMESTAMP_HEADER = "x-agentwatch-timestamp";
export const SIGNATURE_HEADER = "x-agentwatch-signature";

export function signatureFor(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function signedHeaders(secret: string, body: string, nowMs = Date.now()): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signatureFor(secret, timestamp, body),
  };
}

export interface VerifyInput {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  nowMs?: number;
  /** Oldest (and furthest in the future) timestamp accepted. */
  toleranceSeconds?: number;
}

export function verifySignature(input: VerifyInput): boolean {
  const { secret, timestamp, signature, body } = input;
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  const age = Math.abs((input.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signatureFor(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

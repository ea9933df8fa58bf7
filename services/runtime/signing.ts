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

/** Slack's request signature (https://api.slack.com/authentication/verifying-requests-from-slack). */
export const SLACK_SIGNATURE_HEADER = "x-slack-signature";
export const SLACK_TIMESTAMP_HEADER = "x-slack-request-timestamp";

/** `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">` with the app's signing secret. */
export function slackSignatureFor(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/** Slack's signature, and a timestamp within 5 minutes (Slack's advice: older ones may be replays). */
export function verifySlackSignature(input: VerifyInput): boolean {
  const { secret, timestamp, signature, body } = input;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  const age = Math.abs((input.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (input.toleranceSeconds ?? 300)) return false;
  return sameText(slackSignatureFor(secret, timestamp, body), signature);
}

/** PagerDuty's v3 webhook signature (https://developer.pagerduty.com/docs/webhooks/webhook-signatures/). */
export const PAGERDUTY_SIGNATURE_HEADER = "x-pagerduty-signature";

/** `v1=<hex HMAC-SHA256 of the raw body>` with the subscription's secret. */
export function pagerdutySignatureFor(secret: string, body: string): string {
  return `v1=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * Whether one of the header's comma-separated signatures (several while PagerDuty rotates a
 * secret) is the body's under this secret. PagerDuty signs no timestamp: replays are handled by
 * the caller (its event ids, and actions that change nothing when repeated).
 */
export function verifyPagerdutySignature(secret: string, header: string | undefined, body: string): boolean {
  if (header === undefined) return false;
  const expected = pagerdutySignatureFor(secret, body);
  let found = false;
  // Every candidate is compared (no early exit), each in constant time.
  for (const candidate of header.split(",").slice(0, 16)) {
    if (sameText(expected, candidate.trim())) found = true;
  }
  return found;
}

function sameText(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

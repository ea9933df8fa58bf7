import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  pagerdutySignatureFor,
  SIGNATURE_HEADER,
  signedHeaders,
  slackSignatureFor,
  TIMESTAMP_HEADER,
  verifyPagerdutySignature,
  verifySignature,
  verifySlackSignature,
} from "./signing.ts";

describe("webhook signing", () => {
  const body = '{"version":"1","status":"firing"}';
  const now = Date.parse("2026-11-20T10:00:00Z");

  it("signs HMAC-SHA256 of '<timestamp>.<raw body>' as the contract says", () => {
    const headers = signedHeaders("s3cret", body, now);
    expect(headers[TIMESTAMP_HEADER]).toBe(String(now / 1000));
    const expected = createHmac("sha256", "s3cret")
      .update(`${now / 1000}.${body}`)
      .digest("hex");
    expect(headers[SIGNATURE_HEADER]).toBe(`sha256=${expected}`);
  });

  it("verifies its own signatures and refuses tampering, wrong secrets and stale timestamps", () => {
    const h = signedHeaders("s3cret", body, now);
    const input = {
      secret: "s3cret",
      timestamp: h[TIMESTAMP_HEADER],
      signature: h[SIGNATURE_HEADER],
      body,
      nowMs: now,
    };
    expect(verifySignature(input)).toBe(true);
    expect(verifySignature({ ...input, body: `${body} ` })).toBe(false);
    expect(verifySignature({ ...input, secret: "other" })).toBe(false);
    expect(verifySignature({ ...input, nowMs: now + 301_000 })).toBe(false);
    expect(verifySignature({ ...input, signature: undefined })).toBe(false);
    expect(verifySignature({ ...input, timestamp: "abc" })).toBe(false);
  });
});

describe("Slack's request signature", () => {
  // The worked example of https://api.slack.com/authentication/verifying-requests-from-slack.
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const timestamp = "1531420618";
  const body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
  const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
  const at = Number(timestamp) * 1000;

  it("gives Slack's documented signature for its documented request", () => {
    expect(slackSignatureFor(secret, timestamp, body)).toBe(signature);
    expect(verifySlackSignature({ secret, timestamp, signature, body, nowMs: at + 60_000 })).toBe(true);
  });

  it("refuses another body, another secret, a timestamp over 5 minutes off, and junk", () => {
    const input = { secret, timestamp, signature, body, nowMs: at };
    expect(verifySlackSignature({ ...input, body: `${body}&x=1` })).toBe(false);
    expect(verifySlackSignature({ ...input, secret: `${secret}0` })).toBe(false);
    expect(verifySlackSignature({ ...input, nowMs: at + 301_000 })).toBe(false);
    expect(verifySlackSignature({ ...input, nowMs: at - 301_000 })).toBe(false);
    expect(verifySlackSignature({ ...input, signature: signature.toUpperCase() })).toBe(false);
    expect(verifySlackSignature({ ...input, signature: undefined })).toBe(false);
    expect(verifySlackSignature({ ...input, timestamp: "1531420618.5" })).toBe(false);
  });
});

describe("PagerDuty's webhook signature", () => {
  const body = '{"event":{"id":"01","event_type":"incident.acknowledged"}}';

  it("is v1=<hex HMAC-SHA256 of the body>, one of several comma-separated", () => {
    const expected = `v1=${createHmac("sha256", "pd-secret").update(body).digest("hex")}`;
    expect(pagerdutySignatureFor("pd-secret", body)).toBe(expected);
    expect(verifyPagerdutySignature("pd-secret", expected, body)).toBe(true);
    const rotating = `${pagerdutySignatureFor("old-secret", body)},${expected}`;
    expect(verifyPagerdutySignature("pd-secret", rotating, body)).toBe(true);
    expect(verifyPagerdutySignature("old-secret", rotating, body)).toBe(true);
  });

  it("refuses another body or secret, another version, and no header", () => {
    const good = pagerdutySignatureFor("pd-secret", body);
    expect(verifyPagerdutySignature("pd-secret", good, `${body} `)).toBe(false);
    expect(verifyPagerdutySignature("other", good, body)).toBe(false);
    expect(verifyPagerdutySignature("pd-secret", good.replace("v1=", "v2="), body)).toBe(false);
    expect(verifyPagerdutySignature("pd-secret", undefined, body)).toBe(false);
    expect(verifyPagerdutySignature("pd-secret", "", body)).toBe(false);
  });
});

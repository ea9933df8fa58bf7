import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_HEADER, signedHeaders, TIMESTAMP_HEADER, verifySignature } from "./signing.ts";

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

import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signing and verifying side by side, so the sender and the receiver cannot drift.
 * VoIPBIN: `X-VoIPBIN-Signature: sha256=<lowercase hex HMAC-SHA256 of the exact body>`.
 */
export function hmacSha256Hex(secret: string, body: string | Buffer): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

export function signatureHeaderValue(prefix: string, secret: string, body: string | Buffer): string {
  return `${prefix}${hmacSha256Hex(secret, body)}`;
}

/** Constant-time comparison of two strings (a different length is a mismatch, still in constant time). */
export function constantTimeEqual(received: string, expected: string): boolean {
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

export function verifySignature(
  prefix: string,
  secret: string,
  body: string | Buffer,
  header: string | undefined,
): boolean {
  if (header === undefined) return false;
  return constantTimeEqual(header, signatureHeaderValue(prefix, secret, body));
}

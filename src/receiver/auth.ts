import { constantTimeEqual } from "../core/signing.js";

/** Constant-time comparison of a received token with the expected secret. */
export function tokenMatches(received: string, expected: string): boolean {
  return constantTimeEqual(received, expected);
}

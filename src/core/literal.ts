/**
 * A function returning a fresh copy of `template`, whose values are strings or null, built from an
 * object literal of its own. Payloads of one event type are thus all made at one site with one
 * layout. Spreading the templates of many event types at one shared site (`{ ...template }`)
 * costs V8 a slow generic copy, about 15 times longer, and payloads are made for every request.
 */
export function literalMaker(
  template: Readonly<Record<string, string | null>>,
): () => Record<string, unknown> {
  // in an object literal, "__proto__": sets the prototype instead of making a key; a spread makes the key
  if (Object.hasOwn(template, "__proto__")) {
    const copy = { ...template };
    return () => ({ ...copy });
  }
  const fields = Object.entries(template).map(([key, value]) => {
    if (value !== null && typeof value !== "string")
      throw new TypeError(`literalMaker: the value of ${JSON.stringify(key)} is neither a string nor null`);
    // JSON text of a string is a JavaScript string literal: keys and values are quoted, never code
    return `${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  });
  return new Function(`return () => ({ ${fields.join(", ")} });`)() as () => Record<string, unknown>;
}

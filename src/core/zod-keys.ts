import { z } from "zod";

/** A schema without its optional, default and nullable wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let t = schema;
  while (t instanceof z.ZodOptional || t instanceof z.ZodDefault || t instanceof z.ZodNullable)
    t = t.unwrap() as z.ZodType;
  return t;
}

/**
 * The keys the object schema at `path` of `schema` takes (through objects and arrays), when
 * there is one there: what a misspelt key is compared with.
 */
export function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let t = unwrap(schema);
  for (const p of path) {
    if (t instanceof z.ZodArray && typeof p === "number") t = unwrap(t.element as z.ZodType);
    else if (t instanceof z.ZodObject && typeof p === "string" && t.shape[p])
      t = unwrap(t.shape[p] as z.ZodType);
    else return undefined;
  }
  return t instanceof z.ZodObject ? Object.keys(t.shape) : undefined;
}

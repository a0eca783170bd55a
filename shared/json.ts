/** Limits on JSON text that hold before it is parsed, for every parser of request bodies (the HTTP chain, OFREP). */

/**
 * How deep a request body may nest objects and arrays. Far beyond any valid input (a condition tree nests at most
 * 10 levels, ~25 in JSON with its envelope); deeper text is refused before it is parsed, since parsing with a
 * reviver recurses once per level.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether JSON text nests deeper than `limit`: one pass over the characters, strings skipped, no recursion. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character (an escaped quote does not end the string).
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

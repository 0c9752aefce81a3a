/**
 * A Go (RE2) pattern from a Kubernetes schema as a JavaScript RegExp. The API server
 * matches `pattern` with Go's regexp; JavaScript (Node 20) lacks RE2's inline `(?i)` flag,
 * which sets case-insensitivity up to the end of the enclosing group, so letters in its
 * scope become both-case classes. Anything else RE2-only fails loudly rather than being
 * checked with another meaning.
 */
export function goRegExp(pattern: string, flags: string): RegExp {
  if (/\\[AzQEpP]|\(\?P<|\[\[:/.test(pattern)) throw new Error(`RE2 syntax without a JavaScript translation in pattern ${pattern}`);
  return new RegExp(pattern.includes("(?i)") ? caseless(pattern) : pattern, flags);
}

function caseless(pattern: string): string {
  let out = "";
  // One entry per open group: whether (?i) is in force in it.
  const scopes = [false];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const ci = scopes[scopes.length - 1];
    if (pattern.startsWith("(?i)", i)) {
      scopes[scopes.length - 1] = true;
      i += 3;
    } else if (c === "\\") {
      out += pattern.slice(i, i + 2);
      i++;
    } else if (c === "[") {
      const end = classEnd(pattern, i);
      const body = pattern.slice(i + 1, end);
      if (ci && /\\/.test(body)) throw new Error(`a (?i) character class with escapes in pattern ${pattern}`);
      out += ci ? `[${body}${swapCase(body.replace(/^\^/, ""))}]` : `[${body}]`;
      i = end;
    } else if (c === "(") {
      scopes.push(ci);
      out += c;
    } else if (c === ")") {
      scopes.pop();
      out += c;
    } else out += ci && /[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
  }
  return out;
}

/** The index of the `]` closing the class that opens at `start`. */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === "^") i++;
  if (pattern[i] === "]") i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === "\\") i++;
    else if (pattern[i] === "]") return i;
  }
  throw new Error(`unclosed character class in pattern ${pattern}`);
}

function swapCase(s: string): string {
  return [...s].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
}

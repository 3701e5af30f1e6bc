// Canonical JSON: object keys sorted at every depth, no spaces, so equal data hashes equally.
//
// Used for the system config's hash and for everything else the store hashes as JSON
// (generation contents, cache keys). Arrays keep their order: order is meaning there.

/** `value` with every object's keys sorted, recursively; arrays keep their order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}

/** JSON text with sorted keys; throws on values JSON cannot represent exactly (bigint, NaN). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), (key, item) => {
    if (typeof item === "bigint") throw new Error(`canonicalJson: bigint at key '${key}' has no exact JSON form`);
    if (typeof item === "number" && !Number.isFinite(item)) throw new Error(`canonicalJson: ${item} at key '${key}' has no JSON form`);
    return item;
  });
}

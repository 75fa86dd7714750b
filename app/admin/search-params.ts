// Reading the console lists' filters from the address, and writing them back into links.

export type SearchParams = Record<string, string | string[] | undefined>;

/** A query parameter given once and at most `max` characters long; anything else is unset. */
export function param(params: SearchParams, key: string, max = 700): string | undefined {
  const value = params[key];
  return typeof value === "string" && value.length <= max ? value : undefined;
}

/** A query parameter that must be one of `allowed`; anything else is unset. */
export function choice<T extends string>(
  params: SearchParams,
  key: string,
  allowed: readonly T[],
): T | undefined {
  const value = param(params, key);
  return allowed.includes(value as T) ? (value as T) : undefined;
}

/** `path` with the set values as its query: a list's filters and the page asked for. */
export function listHref(path: string, values: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) query.set(key, value);
  return query.size > 0 ? `${path}?${query.toString()}` : path;
}

// The one shape of an expected outcome in lib/ (docs/decisions/0015-expected-failures.md): a
// success with its fields, or a refusal that names its reason. Bugs and a broken environment
// throw instead.

/**
 * What a use case answers when saying no is part of its job: `ok` tells which, a refusal's
 * `reason` tells why (a union the caller must handle), and `Details` carries what the caller
 * shows, such as a message or a wait. With `Reason` never, a refusal says nothing at all: a
 * sign-in step that must not tell a stranger why (R-A18.1).
 */
export type Result<
  Success extends object,
  Reason extends string = never,
  Details extends object = object,
> = ({ ok: true } & Success) | Refusal<Reason, Details>;

type Refusal<Reason extends string, Details extends object> = [Reason] extends [never]
  ? { ok: false } & Details
  : { ok: false; reason: Reason } & Details;

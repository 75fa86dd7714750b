/** "Sign out": a form, so it works before any script has loaded. */
export function SignOutButton() {
  return (
    <form action="/signout" method="post">
      <button
        type="submit"
        className="rounded-md border border-slate-400 px-3 py-1.5 text-sm font-medium hover:bg-slate-100"
      >
        Sign out
      </button>
    </form>
  );
}

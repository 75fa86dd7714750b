/** "Don't ask again for N days" (N from policy). */
export function RememberBrowserField({ days }: { days: number }) {
  return (
    <div className="flex items-center gap-2">
      <input id="remember-browser" name="rememberBrowser" type="checkbox" className="h-5 w-5" />
      <label htmlFor="remember-browser">Don&apos;t ask again for {days} days</label>
    </div>
  );
}

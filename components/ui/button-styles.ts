/** Shared button looks, so a link-styled-as-button and a button match. */
export const primaryButton =
  "inline-block rounded-md bg-brand-700 px-4 py-2 font-semibold text-white hover:bg-brand-800 disabled:opacity-70";
export const secondaryButton =
  "inline-block rounded-md border border-slate-400 bg-white px-4 py-2 font-semibold text-slate-900 hover:bg-slate-100";
export const dangerButton =
  "inline-block rounded-md bg-red-700 px-4 py-2 font-semibold text-white hover:bg-red-800 disabled:opacity-70";

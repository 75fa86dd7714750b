import { primaryButton } from "@/components/ui/button-styles";

/** A wizard's "Next" that only moves to the next step: a button, as guides call it, changing nothing. */
export function NextStepButton({ href }: { href: string }) {
  return (
    <form action={href} method="get">
      <button type="submit" className={primaryButton}>
        Next
      </button>
    </form>
  );
}

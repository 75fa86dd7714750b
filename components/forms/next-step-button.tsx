import { primaryButton } from "@/components/ui/button-styles";

/** A wizard's "Next" that only moves to the next step: a button, as guides call it, changing nothing. */
export function NextStepButton({
  href,
  label = "Next",
  className = primaryButton,
}: {
  href: string;
  label?: string;
  className?: string;
}) {
  return (
    <form action={href} method="get">
      <button type="submit" className={className}>
        {label}
      </button>
    </form>
  );
}

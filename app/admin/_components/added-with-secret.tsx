import Link from "next/link";
import { Alert } from "@/components/ui/alert";
import { OneTimeSecret } from "./one-time-secret";

/** What "Add …" shows once it saved: the new secret, once, and the way to the new page. */
export function AddedWithSecret({
  message,
  secret,
  secretLabel,
  note,
  href,
  linkText,
}: {
  message?: string;
  secret: string;
  secretLabel: string;
  note: string;
  /** The new integration's page, when the answer named it. */
  href: string | null;
  linkText: string;
}) {
  return (
    <div className="space-y-4">
      <Alert kind="success">{message}</Alert>
      <OneTimeSecret label={secretLabel} secret={secret} note={note} />
      {href && (
        <p>
          <Link href={href} className="text-brand-700 underline">
            {linkText}
          </Link>
        </p>
      )}
    </div>
  );
}

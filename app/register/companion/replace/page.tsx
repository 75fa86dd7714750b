import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { dangerButton } from "@/components/ui/button-styles";
import { LocalTime } from "@/components/ui/local-time";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { listOtherPhones } from "@/lib/mfa/companion-pairing";
import { removeOldPhoneAction } from "../actions";

export const metadata: Metadata = { title: "Remove your old phone?" };

/** After pairing a second phone: moving to a new phone ends with removing the old one. */
export default async function ReplacePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const newId = (await searchParams).new;
  const others = await listOtherPhones(
    await getDb(),
    registrant.user.id,
    typeof newId === "string" ? newId : "",
  );
  if (others.length === 0) redirect("/register/success");
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Remove your old phone?</h1>
      <p className="mb-4">
        Each paired phone can approve your sign-ins. If you moved to a new phone, remove the old one
        so it can no longer approve anything. Keep it if you still use it.
      </p>
      <ul aria-label="Other paired phones" className="mb-6 divide-y rounded-md border">
        {others.map((phone) => (
          <li key={phone.id} className="flex items-center justify-between gap-3 p-3">
            <span>
              {phone.label} · paired <LocalTime value={phone.createdAt} />
            </span>
            <form action={removeOldPhoneAction}>
              <input type="hidden" name="methodId" value={phone.id} />
              <button type="submit" aria-label={`Remove ${phone.label}`} className={dangerButton}>
                Remove
              </button>
            </form>
          </li>
        ))}
      </ul>
      <Link href="/register/success" className="text-brand-700 underline">
        Keep both
      </Link>
    </>
  );
}

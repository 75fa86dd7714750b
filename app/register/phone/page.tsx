import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getRegistrant } from "@/lib/auth/registrant";
import { getDb } from "@/lib/db/client";
import { getEnv } from "@/lib/env";
import { getMethodSummary } from "@/lib/mfa/methods";
import { listCountryChoices } from "@/lib/mfa/phone-numbers";
import { isPhoneKind, kindOffered, METHOD_KIND_INFO, type PhoneKind } from "@/lib/mfa/registry";
import { PhoneForm } from "./phone-form";

export const metadata: Metadata = { title: "Phone" };

export default async function PhonePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const registrant = await getRegistrant();
  if (!registrant) redirect("/signin");
  const params = await searchParams;
  const kind: PhoneKind =
    typeof params.type === "string" && isPhoneKind(params.type) ? params.type : "mobile_phone";
  const replaces = typeof params.replaces === "string" ? params.replaces : undefined;
  const { role } = await getMethodSummary(await getDb(), registrant.user.id);
  const allowed = kindOffered(kind, role);
  const env = getEnv();
  const allowedCountries = env.PHONE_ALLOWED_COUNTRIES.split(",").filter(Boolean);
  const countries = listCountryChoices().filter(
    (c) => allowedCountries.length === 0 || allowedCountries.includes(c.code),
  );
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Phone</h1>
      {allowed ? (
        <>
          <p className="mb-3">
            You can prove who you are by answering a call on your phone
            {kind !== "office_phone" && " or receiving a code on your phone"}.
          </p>
          <p className="mb-6 text-sm text-slate-700">
            Texts and calls can be intercepted or redirected by someone who takes over your phone
            number. An authenticator app is safer; use a phone as a backup, or if you have no
            smartphone. Message and data rates may apply.
          </p>
          <PhoneForm
            kind={kind}
            kindName={METHOD_KIND_INFO[kind].listName}
            countries={countries}
            defaultCountry={
              countries.some((c) => c.code === env.ORG_COUNTRY)
                ? env.ORG_COUNTRY
                : (countries[0]?.code ?? env.ORG_COUNTRY)
            }
            textAllowed={METHOD_KIND_INFO[kind].signInOptions.includes("sms")}
            replaces={replaces}
          />
        </>
      ) : (
        <p>
          Accounts with helpdesk or admin roles can&apos;t use text messages or calls to sign in.
          Use an authenticator app instead.
        </p>
      )}
    </>
  );
}

import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChangePasswordForm } from "@/components/forms/change-password-form";
import { requireSession } from "@/lib/auth/current";
import { getPasswordStatus } from "@/lib/auth/password-change";
import { PASSWORD_MIN_LENGTH } from "@/lib/auth/password-policy";
import { getDb } from "@/lib/db/client";
import { nextPath } from "./next-path";
import { updatePasswordAction } from "./actions";

export const metadata: Metadata = { title: "Update your password" };

/** Where a signed-in person whose password must change is sent before anything else. */
export default async function ChangePasswordPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await requireSession();
  const next = nextPath((await searchParams).next);
  const { mustChangePassword } = await getPasswordStatus(await getDb(), session.user.id);
  if (!mustChangePassword) redirect(next);
  return (
    <>
      <h1 className="mb-2 text-2xl font-semibold">Update your password</h1>
      <p className="mb-6 text-slate-700">
        You need to change your password before you go on. Choose one you don&apos;t use anywhere
        else.
      </p>
      <ChangePasswordForm action={updatePasswordAction} minLength={PASSWORD_MIN_LENGTH}>
        <input type="hidden" name="next" value={next} />
        <div className="flex items-start gap-2">
          <input
            id="sign-out-others"
            name="signOutOthers"
            type="checkbox"
            defaultChecked
            className="mt-1 h-4 w-4"
          />
          <label htmlFor="sign-out-others">Sign out of every other browser and device</label>
        </div>
      </ChangePasswordForm>
    </>
  );
}

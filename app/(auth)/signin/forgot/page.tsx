import { redirect } from "next/navigation";

/** Where "Forgot my password" pointed before the reset had its own address. */
export default function ForgotPasswordPage(): never {
  redirect("/reset-password");
}

import type { Metadata } from "next";
import { CompanionHome } from "./_components/companion-home";

export const metadata: Metadata = { title: "Authenticator" };

export default function AuthenticatorPage() {
  return <CompanionHome />;
}

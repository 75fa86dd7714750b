import { RevealedSecretProvider } from "./_components/revealed-secret";

// Holds a new app's secret on its way to the app's page (see revealed-secret.tsx). The pages
// check who is asking themselves: administrators only.
export default function AppsLayout({ children }: { children: React.ReactNode }) {
  return <RevealedSecretProvider>{children}</RevealedSecretProvider>;
}

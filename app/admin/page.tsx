import { redirect } from "next/navigation";
import { requireAgentPage } from "@/lib/admin/guard";

/** The console opens on its user search. */
export default async function AdminHome(): Promise<never> {
  await requireAgentPage();
  redirect("/admin/users");
}

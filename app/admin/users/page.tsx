import type { Metadata } from "next";
import { requireAgentPage } from "@/lib/admin/guard";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  await requireAgentPage();
  return <h1 className="text-3xl font-semibold">Users</h1>;
}

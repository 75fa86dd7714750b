"use client";

import { QueryClient, QueryClientProvider, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import type { SignInFilter } from "@/lib/activity/sign-in-events";
import { fetchInBackground } from "@/lib/security/background-request";
import type { SignInPageView } from "../view";
import { SignInItem } from "./sign-in-item";

/** How often the newest page refreshes while it is open. */
const REFRESH_INTERVAL_MS = 30_000;

type Props = { filter: SignInFilter; cursor: string | null; initial: SignInPageView };

/**
 * The list, rendered first by the server and then kept fresh here. The query client lives only
 * on this page, so no other page loads react-query.
 */
export function SignInsIsland(props: Props) {
  const [client] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 10_000, retry: 1 } } }),
  );
  return (
    <QueryClientProvider client={client}>
      <SignInsList {...props} />
    </QueryClientProvider>
  );
}

async function fetchPage(filter: SignInFilter, cursor: string | null): Promise<SignInPageView> {
  const query = new URLSearchParams({ show: filter, ...(cursor ? { cursor } : {}) });
  // The page's own refresh: leaving the list open never keeps the session alive (R-A12.5).
  const response = await fetchInBackground(`/sign-ins/events?${query}`, {
    headers: { Accept: "application/json" },
  });
  if (!response.ok) throw new Error(`sign-ins: ${response.status}`);
  return (await response.json()) as SignInPageView;
}

function pageHref(filter: SignInFilter, cursor: string | null): string {
  const query = new URLSearchParams({
    ...(filter === "all" ? {} : { show: filter }),
    ...(cursor ? { cursor } : {}),
  }).toString();
  return query ? `/sign-ins?${query}` : "/sign-ins";
}

function SignInsList({ filter, cursor, initial }: Props) {
  const queryClient = useQueryClient();
  const queryKey = ["sign-ins", filter, cursor ?? ""];
  // Only the newest page changes as people sign in; older pages are fixed by their cursor.
  const { data } = useQuery({
    queryKey,
    queryFn: () => fetchPage(filter, cursor),
    initialData: initial,
    enabled: cursor === null,
    refetchInterval: REFRESH_INTERVAL_MS,
  });
  // A new server render (after "This was me", say) brings newer data than the cache holds.
  useEffect(() => {
    queryClient.setQueryData(["sign-ins", filter, cursor ?? ""], initial);
  }, [queryClient, filter, cursor, initial]);

  return (
    <>
      {data.items.length > 0 ? (
        <ul
          aria-label="Recent sign-ins"
          className="mt-6 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white"
        >
          {data.items.map((item) => (
            <SignInItem key={item.id} item={item} filter={filter} />
          ))}
        </ul>
      ) : (
        <p className="mt-6 text-slate-700">No sign-ins to show.</p>
      )}
      <nav aria-label="Pages of sign-ins" className="mt-4 flex gap-6">
        {cursor !== null && (
          <Link href={pageHref(filter, null)} className="text-brand-700 underline">
            Newest sign-ins
          </Link>
        )}
        {data.nextCursor && (
          <Link href={pageHref(filter, data.nextCursor)} className="text-brand-700 underline">
            Older sign-ins
          </Link>
        )}
      </nav>
    </>
  );
}

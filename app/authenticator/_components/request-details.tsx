import type { PendingPush } from "@/lib/mfa/companion-protocol";

/** Where and when a sign-in request comes from (or who at the helpdesk asks), to recognise it. */
export function RequestDetails({ request }: { request: PendingPush }) {
  const when = new Date(request.createdAt).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
  });
  if (request.purpose === "helpdesk_verification") {
    return (
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="font-medium">From</dt>
        <dd>{request.app}</dd>
        {request.helpdesk && (
          <>
            <dt className="font-medium">Helpdesk agent</dt>
            <dd>{request.helpdesk}</dd>
          </>
        )}
        <dt className="font-medium">Time</dt>
        <dd>{when}</dd>
      </dl>
    );
  }
  return (
    <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
      <dt className="font-medium">App</dt>
      <dd>{request.app}</dd>
      <dt className="font-medium">Location</dt>
      <dd>{request.location}</dd>
      {request.ip && (
        <>
          <dt className="font-medium">IP address</dt>
          <dd>{request.ip}</dd>
        </>
      )}
      {request.device && (
        <>
          <dt className="font-medium">Browser</dt>
          <dd>{request.device}</dd>
        </>
      )}
      <dt className="font-medium">Time</dt>
      <dd>{when}</dd>
    </dl>
  );
}

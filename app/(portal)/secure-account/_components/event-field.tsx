/** Carries the reported sign-in event through each step's form. */
export function EventField({ eventId }: { eventId: number | null }) {
  return eventId === null ? null : <input type="hidden" name="event" value={eventId} />;
}

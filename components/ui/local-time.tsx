/** A UTC time in words, with the machine-readable value for assistive technology. */
export function LocalTime({ value }: { value: Date }) {
  const text = new Intl.DateTimeFormat("en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "UTC",
  }).format(value);
  return <time dateTime={value.toISOString()}>{text} UTC</time>;
}

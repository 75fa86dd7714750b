import type { EnrolmentResult } from "@/lib/mfa/enrolment-result";

/** The value of an enrolment step a test needs to succeed; a refusal fails the test, naming why. */
export function accepted<T>(result: EnrolmentResult<T>): T {
  if (!result.ok) throw new Error(`Enrolment refused: ${result.reason}`);
  return result.value;
}

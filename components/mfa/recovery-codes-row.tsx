import type { ReactNode } from "react";
import { MethodRow } from "./method-row";
import { RecoveryCodesPanel } from "./recovery-codes-panel";

/**
 * The recovery codes' row under a person's methods: how many are left, and the button that
 * creates them or replaces them. `children` continue the sentence after "N codes left".
 */
export function RecoveryCodesRow({
  left,
  action,
  children,
}: {
  left: number;
  action: () => Promise<{ codes?: string[]; error?: string }>;
  children?: ReactNode;
}) {
  return (
    <MethodRow
      title="Recovery codes"
      actions={
        <RecoveryCodesPanel
          action={action}
          buttonLabel={left > 0 ? "Regenerate recovery codes" : "Create recovery codes"}
        />
      }
    >
      <p className="text-slate-700">
        {left} {left === 1 ? "code" : "codes"} left{children}
      </p>
    </MethodRow>
  );
}

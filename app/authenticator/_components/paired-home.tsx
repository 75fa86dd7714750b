"use client";

import { useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/components/ui/alert";
import { secondaryButton } from "@/components/ui/button-styles";
import { forgetDevice, type StoredDevice } from "../_lib/device";
import { PhoneSignIn } from "./phone-sign-in";
import { SignInRequests } from "./sign-in-requests";
import { REQUESTS_QUERY_KEY, useDeviceRequests } from "./use-device-requests";
import { VerificationCode } from "./verification-code";

/** A paired phone: its code, its waiting requests and its phone sign-in setting. */
export function PairedHome({ device, onForget }: { device: StoredDevice; onForget: () => void }) {
  const queryClient = useQueryClient();
  const { data, isError, isFetching } = useDeviceRequests(device);

  if (data === null) {
    return (
      <>
        <h1 className="mb-4 text-2xl font-semibold">Authenticator</h1>
        <Alert kind="error">
          This phone is no longer paired with your account. It was removed in Security info.
        </Alert>
        <button
          type="button"
          className={`${secondaryButton} mt-4`}
          onClick={() => void forgetDevice().then(onForget)}
        >
          Forget this phone
        </button>
      </>
    );
  }

  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">Authenticator</h1>
      <p className="text-slate-700">
        {device.issuer} · {device.account} · {device.name}
      </p>
      {isError && (
        <div className="mt-4">
          <Alert kind="info">You&apos;re offline. Your verification codes still work.</Alert>
        </div>
      )}
      {data && !data.active && (
        <div className="mt-4">
          <Alert kind="info">
            Enter the code below on your computer to finish adding this phone.
          </Alert>
        </div>
      )}
      <VerificationCode device={device} />
      <SignInRequests device={device} request={data?.requests[0]} checking={isFetching} />
      {data?.active && (
        <PhoneSignIn
          device={device}
          enabled={data.phoneSignIn}
          onChange={() => void queryClient.invalidateQueries({ queryKey: REQUESTS_QUERY_KEY })}
        />
      )}
    </>
  );
}

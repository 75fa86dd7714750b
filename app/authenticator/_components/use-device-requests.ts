"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { deviceCall, registerWorker, type StoredDevice } from "../_lib/device";

const POLL_MS = 3000;

/** The prefix of every device's requests query, for refreshing them after a change. */
export const REQUESTS_QUERY_KEY = ["requests"];

/**
 * This phone's pairing as the portal sees it, polled: its waiting requests, whether pairing is
 * finished and phone sign-in is on; null once the pairing is gone. The first answer also
 * registers the service worker for notifications.
 */
export function useDeviceRequests(device: StoredDevice) {
  const registered = useRef(false);
  const query = useQuery({
    queryKey: [...REQUESTS_QUERY_KEY, device.deviceId],
    queryFn: () => deviceCall(device, "requests"),
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
    retry: false,
  });
  const { data } = query;

  useEffect(() => {
    if (registered.current || data === undefined) return;
    registered.current = true;
    void registerWorker(device, data?.vapidPublicKey ?? null).catch(() => undefined);
  }, [data, device]);

  return query;
}

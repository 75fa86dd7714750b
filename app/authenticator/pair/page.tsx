import type { Metadata } from "next";
import { PairDevice } from "../_components/pair-device";

export const metadata: Metadata = { title: "Pair this phone" };

export default function PairPage() {
  return <PairDevice />;
}

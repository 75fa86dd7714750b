import type { Metadata, Viewport } from "next";
import { connection } from "next/server";
import { getEnv } from "@/lib/env";
import "./globals.css";

export async function generateMetadata(): Promise<Metadata> {
  return {
    title: { default: `Factor · ${getEnv().ORG_NAME}`, template: `%s · Factor` },
    description: "Set up and manage how you sign in.",
    // Browsers that read SVG take it: the ICO, marked 32x32, is for those that do not.
    icons: {
      icon: [
        { url: "/favicon.ico", sizes: "32x32" },
        { url: "/icon.svg", type: "image/svg+xml" },
      ],
      apple: "/apple-touch-icon.png",
    },
  };
}

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Every page is rendered per request so each response carries its own CSP nonce.
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen">
        <a
          href="#main"
          className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-4 focus:py-2 focus:text-brand-700 focus:shadow"
        >
          Skip to main content
        </a>
        {children}
      </body>
    </html>
  );
}

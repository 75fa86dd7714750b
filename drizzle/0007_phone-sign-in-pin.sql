ALTER TABLE "companion_devices" ADD COLUMN "pin_hash" text;--> statement-breakpoint
ALTER TABLE "companion_devices" ADD COLUMN "pin_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Phones that turned phone sign-in on before the server checked the app PIN have no PIN hash:
-- phone sign-in is turned off for them, and the person turns it on again with a PIN.
UPDATE "companion_devices" SET "phone_sign_in_enabled" = false WHERE "pin_hash" IS NULL;--> statement-breakpoint
ALTER TABLE "companion_devices" ADD CONSTRAINT "companion_devices_phone_sign_in_pin" CHECK (not "companion_devices"."phone_sign_in_enabled" or "companion_devices"."pin_hash" is not null);
ALTER TABLE "users" ADD COLUMN "registration_grace" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "registration_postponements" integer DEFAULT 0 NOT NULL;
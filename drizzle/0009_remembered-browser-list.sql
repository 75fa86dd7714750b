ALTER TABLE "remembered_browsers" ADD COLUMN "ip" text;--> statement-breakpoint
ALTER TABLE "remembered_browsers" ADD COLUMN "last_used_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "remembered_browser_id" text;--> statement-breakpoint
ALTER TABLE "sign_in_transactions" ADD COLUMN "remembered_browser_id" text;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_remembered_browser_id_remembered_browsers_id_fk" FOREIGN KEY ("remembered_browser_id") REFERENCES "public"."remembered_browsers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sign_in_transactions" ADD CONSTRAINT "sign_in_transactions_remembered_browser_id_remembered_browsers_id_fk" FOREIGN KEY ("remembered_browser_id") REFERENCES "public"."remembered_browsers"("id") ON DELETE set null ON UPDATE no action;
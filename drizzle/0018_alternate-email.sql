CREATE TABLE "alternate_emails" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"email" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"verified_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "email_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"alternate_email_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"transaction_id" text NOT NULL,
	"code_hash" text NOT NULL,
	"status" text NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"sends" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alternate_emails" ADD CONSTRAINT "alternate_emails_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_codes" ADD CONSTRAINT "email_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_codes" ADD CONSTRAINT "email_codes_alternate_email_id_alternate_emails_id_fk" FOREIGN KEY ("alternate_email_id") REFERENCES "public"."alternate_emails"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "alternate_emails_user_idx" ON "alternate_emails" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "alternate_emails_one_active_idx" ON "alternate_emails" USING btree ("user_id") WHERE "alternate_emails"."status" = 'active';--> statement-breakpoint
CREATE INDEX "email_codes_binding_idx" ON "email_codes" USING btree ("user_id","purpose","transaction_id");--> statement-breakpoint
CREATE INDEX "email_codes_expires_idx" ON "email_codes" USING btree ("expires_at");
CREATE TABLE "account_recoveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"status" text NOT NULL,
	"proof_token_hash" text,
	"proof_expires_at" timestamp with time zone NOT NULL,
	"cancel_token_hash" text,
	"waiting_since" timestamp with time zone,
	"completes_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"ended_by" text,
	"ip" text,
	"user_agent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "account_recoveries" ADD CONSTRAINT "account_recoveries_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "account_recoveries_user_idx" ON "account_recoveries" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "account_recoveries_proof_idx" ON "account_recoveries" USING btree ("proof_token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "account_recoveries_cancel_idx" ON "account_recoveries" USING btree ("cancel_token_hash");
CREATE TABLE "caller_verifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"method" text NOT NULL,
	"phone_method_id" uuid,
	"push_request_id" uuid,
	"code_hash" text,
	"failures" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "caller_verifications" ADD CONSTRAINT "caller_verifications_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "caller_verifications" ADD CONSTRAINT "caller_verifications_agent_id_users_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "caller_verifications" ADD CONSTRAINT "caller_verifications_phone_method_id_mfa_methods_id_fk" FOREIGN KEY ("phone_method_id") REFERENCES "public"."mfa_methods"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "caller_verifications" ADD CONSTRAINT "caller_verifications_push_request_id_push_requests_id_fk" FOREIGN KEY ("push_request_id") REFERENCES "public"."push_requests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "caller_verifications_user_idx" ON "caller_verifications" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "caller_verifications_agent_idx" ON "caller_verifications" USING btree ("agent_id","user_id","created_at");
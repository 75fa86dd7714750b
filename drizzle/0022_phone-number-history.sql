CREATE TABLE "phone_number_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"e164" text NOT NULL,
	"method_id" uuid NOT NULL,
	"verified_at" timestamp with time zone NOT NULL,
	"retired_at" timestamp with time zone,
	"disowned_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "phone_challenges" ALTER COLUMN "method_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "phone_challenges" ADD COLUMN "former_number_id" uuid;--> statement-breakpoint
ALTER TABLE "phone_number_history" ADD CONSTRAINT "phone_number_history_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "phone_number_history_user_idx" ON "phone_number_history" USING btree ("user_id","e164");--> statement-breakpoint
CREATE UNIQUE INDEX "phone_number_history_method_idx" ON "phone_number_history" USING btree ("method_id");--> statement-breakpoint
ALTER TABLE "phone_challenges" ADD CONSTRAINT "phone_challenges_former_number_id_phone_number_history_id_fk" FOREIGN KEY ("former_number_id") REFERENCES "public"."phone_number_history"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "phone_challenges" ADD CONSTRAINT "phone_challenges_one_destination" CHECK (("phone_challenges"."method_id" is null) <> ("phone_challenges"."former_number_id" is null));
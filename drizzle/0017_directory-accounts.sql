CREATE TYPE "public"."account_source" AS ENUM('local', 'directory');--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "source" "account_source" DEFAULT 'local' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "directory_id" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "directory_login" text;--> statement-breakpoint
CREATE UNIQUE INDEX "users_directory_id_idx" ON "users" USING btree ("directory_id");--> statement-breakpoint
CREATE INDEX "users_directory_login_idx" ON "users" USING btree (lower("directory_login"));--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_directory_no_password" CHECK ("users"."source" = 'local' or ("users"."password_hash" is null and "users"."directory_id" is not null));
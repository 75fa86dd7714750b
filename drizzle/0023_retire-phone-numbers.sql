-- A number stops serving when its method goes, whichever code path removes it (one by one, a
-- "Change", a helpdesk removal, an MFA reset, a completed recovery): the database stamps it, so
-- no removal can forget to (docs/decisions/0023).
CREATE OR REPLACE FUNCTION phone_number_history_retire() RETURNS trigger AS $$
BEGIN
  UPDATE "phone_number_history" SET "retired_at" = now()
    WHERE "method_id" = OLD."id" AND "retired_at" IS NULL;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER mfa_methods_retire_phone_number
  AFTER DELETE ON "mfa_methods"
  FOR EACH ROW EXECUTE FUNCTION phone_number_history_retire();
--> statement-breakpoint
-- The phones already in use have served since they were verified.
INSERT INTO "phone_number_history" ("user_id", "e164", "method_id", "verified_at")
  SELECT "user_id", "data"->>'e164', "id", coalesce("confirmed_at", "created_at")
  FROM "mfa_methods"
  WHERE "status" = 'active'
    AND "kind" IN ('mobile_phone', 'alternate_phone')
    AND "data"->>'e164' IS NOT NULL;

-- When a phone goes, its number is kept only if the person deleted it saying they still have it
-- (kept_at, set just before): that stretch ends. Otherwise — lost, stolen, not recognised, changed,
-- removed by the helpdesk or a reset — Factor forgets the number, every stretch of it, so an older
-- kept stretch cannot speak for a number the person has since lost (docs/decisions/0023).
CREATE OR REPLACE FUNCTION phone_number_history_retire() RETURNS trigger AS $$
BEGIN
  UPDATE "phone_number_history" SET "retired_at" = now()
    WHERE "method_id" = OLD."id" AND "retired_at" IS NULL AND "kept_at" IS NOT NULL;
  DELETE FROM "phone_number_history" AS "stretch"
    USING "phone_number_history" AS "ended"
    WHERE "ended"."method_id" = OLD."id"
      AND "ended"."kept_at" IS NULL
      AND "stretch"."user_id" = "ended"."user_id"
      AND "stretch"."e164" = "ended"."e164";
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;

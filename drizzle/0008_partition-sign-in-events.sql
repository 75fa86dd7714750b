-- sign_in_events becomes PARTITION BY RANGE ("at"): one partition per calendar month (UTC) and a
-- default partition, so retention drops whole months instead of deleting rows
-- (docs/decisions/0013-partitioned-sign-in-events.md). drizzle-kit cannot express partitioning:
-- lib/db/schema.ts describes the same columns, primary key ("id", "at") and indexes.
--
-- The existing rows are copied; the id sequence is kept (moved to the new table), so ids go on
-- from where they were and an id held elsewhere (cases.sign_in_event_id) still means the same
-- event. Partitions are created for every month that has rows, and for this month and the next;
-- the application creates the months after that (lib/activity/sign-in-event-partitions.ts).
ALTER TABLE "sign_in_events" RENAME TO "sign_in_events_unpartitioned";--> statement-breakpoint
CREATE TABLE "sign_in_events" (
	"id" bigint DEFAULT nextval('sign_in_events_id_seq'::regclass) NOT NULL,
	"user_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"app" text DEFAULT 'Security portal' NOT NULL,
	"result" text NOT NULL,
	"reason" text NOT NULL,
	"methods" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"transaction_id" text,
	"session_id" text,
	"ip" text,
	"country_code" text,
	"country_name" text,
	"city" text,
	"latitude" double precision,
	"longitude" double precision,
	"asn" integer,
	"isp" text,
	"user_agent" text,
	"browser" text,
	"os" text,
	"device_type" text,
	"risk_level" text DEFAULT 'none' NOT NULL,
	"risk_reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"verdict" text,
	"verdict_at" timestamp with time zone
) PARTITION BY RANGE ("at");--> statement-breakpoint
-- As bigserial would: the sequence now belongs to the new column and survives the old table.
ALTER SEQUENCE "sign_in_events_id_seq" OWNED BY "sign_in_events"."id";--> statement-breakpoint
-- Catches a row whose month has no partition yet; the application moves such rows into their
-- month's partition when it creates it.
CREATE TABLE "sign_in_events_default" PARTITION OF "sign_in_events" DEFAULT;--> statement-breakpoint
DO $$
DECLARE
	-- Months as UTC wall-clock times, so the bounds never depend on the session's time zone.
	this_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
	m timestamp;
BEGIN
	FOR m IN
		SELECT DISTINCT date_trunc('month', "at" AT TIME ZONE 'UTC') FROM "sign_in_events_unpartitioned"
		UNION
		SELECT this_month
		UNION
		SELECT this_month + interval '1 month'
		ORDER BY 1
	LOOP
		EXECUTE format(
			'CREATE TABLE %I PARTITION OF "sign_in_events" FOR VALUES FROM (%L) TO (%L)',
			'sign_in_events_' || to_char(m, 'YYYY_MM'),
			m AT TIME ZONE 'UTC',
			(m + interval '1 month') AT TIME ZONE 'UTC'
		);
	END LOOP;
END
$$;--> statement-breakpoint
INSERT INTO "sign_in_events" ("id", "user_id", "at", "app", "result", "reason", "methods", "transaction_id", "session_id", "ip", "country_code", "country_name", "city", "latitude", "longitude", "asn", "isp", "user_agent", "browser", "os", "device_type", "risk_level", "risk_reasons", "verdict", "verdict_at")
SELECT "id", "user_id", "at", "app", "result", "reason", "methods", "transaction_id", "session_id", "ip", "country_code", "country_name", "city", "latitude", "longitude", "asn", "isp", "user_agent", "browser", "os", "device_type", "risk_level", "risk_reasons", "verdict", "verdict_at"
FROM "sign_in_events_unpartitioned";--> statement-breakpoint
DROP TABLE "sign_in_events_unpartitioned";--> statement-breakpoint
-- Built once on the copied rows; each is a partitioned index (or constraint), so every
-- partition, present and future, gets its own.
ALTER TABLE "sign_in_events" ADD CONSTRAINT "sign_in_events_id_at_pk" PRIMARY KEY("id","at");--> statement-breakpoint
ALTER TABLE "sign_in_events" ADD CONSTRAINT "sign_in_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sign_in_events_user_at_idx" ON "sign_in_events" USING btree ("user_id","at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "sign_in_events_ip_at_idx" ON "sign_in_events" USING btree ("ip","at");--> statement-breakpoint
CREATE INDEX "sign_in_events_at_idx" ON "sign_in_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "sign_in_events_transaction_idx" ON "sign_in_events" USING btree ("transaction_id");
